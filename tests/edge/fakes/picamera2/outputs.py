"""Fake `picamera2.outputs`: the `Output` base class, as in picamera2/outputs/output.py."""

from __future__ import annotations


class Output:
    def __init__(self, pts=None) -> None:
        self.recording = False
        self.ptsoutput = pts
        self.needs_pacing = False

    def start(self) -> None:
        self.recording = True

    def stop(self) -> None:
        self.recording = False

    def outputframe(self, frame, keyframe=True, timestamp=None, packet=None, audio=False) -> None:
        """Subclasses write the encoded frame somewhere."""

    def outputtimestamp(self, timestamp) -> None:
        if self.ptsoutput is not None and timestamp is not None:
            print(f"{timestamp // 1000}.{timestamp % 1000:03}", file=self.ptsoutput, flush=True)

    def _add_stream(self, encoder_stream, *args, **kwargs) -> None:
        pass
