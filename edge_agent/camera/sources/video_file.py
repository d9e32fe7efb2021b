"""A video file as a frame source (OpenCV), paced and looped."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from edge_agent.camera.sources.base import EndOfStream, FrameSource, Pacer, SourceError

if TYPE_CHECKING:
    import cv2
    import numpy as np


class FileSource(FrameSource):
    """A video file, paced to the requested rate (or the file's own), looping by default.

    Frames that do not decode are skipped and counted; a long run of them is taken as the end of
    the file (some AVIs, like OpenCV's `tree.avi`, stop decoding long before their frame count).
    """

    platform = "file"
    MAX_CONSECUTIVE_FAILURES = 25

    def __init__(
        self,
        path: str | Path,
        size: tuple[int | None, int | None] | None,
        fps: float | None,
        loop: bool = True,
    ) -> None:
        self.path = Path(path)
        self.loop = loop
        self.cap: cv2.VideoCapture | None = None
        self.file_fps: float | None = None
        self.rewinds = 0
        self.frame_count = 0
        self._decoded_this_pass = 0
        super().__init__(size, fps)

    def _open(self) -> None:
        import cv2

        if not self.path.is_file():
            raise SourceError(f"source {str(self.path)!r}: no such file")
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            raise SourceError(f"source {str(self.path)!r}: OpenCV cannot open it as a video")
        self.cap = cap
        self.frame_count = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
        self._set_native((cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self._decoded_this_pass = 0
        file_fps = cap.get(cv2.CAP_PROP_FPS)
        self.file_fps = file_fps if file_fps and 0 < file_fps < 240 else None
        if not self.fps:  # no rate asked: play at the file's own
            self._pacer = Pacer(self.file_fps or 10.0, self._closed)

    def _rewind(self) -> None:
        import cv2

        assert self.cap is not None
        self.rewinds += 1
        if not self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
            self.cap.release()
            self.cap = cv2.VideoCapture(str(self.path))

    def _read_frame(self) -> np.ndarray | None:
        import cv2

        if self.cap is None:
            raise SourceError("file source read before open()")
        failures = 0
        rewound_empty = False
        while not self._closed.is_set():
            ok, bgr = self.cap.read()
            if ok and bgr is not None:
                self._decoded_this_pass += 1
                return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            failures += 1
            at_end = self.frame_count and self.cap.get(cv2.CAP_PROP_POS_FRAMES) >= self.frame_count
            if not at_end and failures < self.MAX_CONSECUTIVE_FAILURES:
                continue
            # The end of the file, or a tail that never decodes: count what was not played.
            missing = self.frame_count - self._decoded_this_pass if self.frame_count else failures
            self.skipped += max(0, missing)
            if not self.loop:
                raise EndOfStream(f"source {str(self.path)!r}: end of file")
            if rewound_empty or self._decoded_this_pass == 0:
                raise SourceError(f"source {str(self.path)!r}: no frame decodes")
            self._rewind()
            self._decoded_this_pass = 0
            rewound_empty = True
            failures = 0
        return None

    def close(self) -> None:
        super().close()
        if self.cap is not None:
            self.cap.release()
            self.cap = None
