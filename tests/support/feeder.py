"""A dumb camera's frames, sent from a thread at a steady rate: the one feeder of the test suites.

`Feeder(send, frames, fps)` calls `send(frame)` `fps` times a second (paced on the monotonic
clock, so a slow publish does not lower the rate), cycling through `frames` (one JPEG or a list);
`show(frames)` changes what it sends from the next frame on and returns the monotonic time of the
change (the clock of `Collector`'s arrival times). `Feeder.publishing(client, topic, ...)` sends
with `client.publish(topic, frame, qos=0)`. A send that fails (the broker is away: a restart
test) is counted in `errors` and the camera carries on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence


class Feeder:
    def __init__(self, send: Callable[[bytes], object], frames: bytes | Sequence[bytes], fps: float) -> None:
        self.send, self.fps = send, fps
        self.frames: Sequence[bytes] = [frames] if isinstance(frames, bytes) else frames
        self.index = 0  # frames taken from the current list (show() starts it again)
        self.sent = 0
        self.errors = 0
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="feeder", daemon=True)
        self.thread.start()

    @classmethod
    def publishing(cls, client, topic: str, frames: bytes | Sequence[bytes], fps: float) -> Feeder:
        """Frames published on `topic` by `client` (a Collector or anything with `publish`)."""
        return cls(lambda frame: client.publish(topic, frame, qos=0), frames, fps)

    def show(self, frames: bytes | Sequence[bytes]) -> float:
        with self.lock:
            self.frames, self.index = ([frames] if isinstance(frames, bytes) else frames), 0
        return time.monotonic()

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self.stop_event.is_set():
            with self.lock:
                frame = self.frames[self.index % len(self.frames)]
                self.index += 1
            try:
                self.send(frame)
                self.sent += 1
            except (RuntimeError, ValueError, OSError):
                self.errors += 1
            next_at = max(
                next_at + 1.0 / self.fps, time.monotonic() - 1.0 / self.fps
            )  # no burst after a stall
            self.stop_event.wait(max(0.0, next_at - time.monotonic()))

    def close(self) -> None:
        self.stop_event.set()
        self.thread.join(5)
