"""A camera's snapshot URL for tests: an aiohttp server on loopback, in the test's own event loop,
that answers `GET /still` with the next of its pictures (real stills or video frames from the
shared media), as an IP camera's snapshot URL or an ESP32-CAM's `/capture` does.

It counts what a camera would see: the requests, how many were in flight at once (`max_active`),
and it can be made slow (`delay`) or failing (`status`) while it runs. A request whose client
went away is cancelled, so `active` counts the requests a client still waits for.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web


def jpeg_of(path: Path, size: tuple[int, int] | None = None, quality: int = 85) -> bytes:
    """A picture file (PNG, JPEG) as JPEG bytes, resized to `size` when given (Pillow)."""
    from PIL import Image

    with Image.open(path) as img:
        rgb = img.convert("RGB")
    if size is not None:
        rgb = rgb.resize(size)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=quality)
    return out.getvalue()


class StillServer:
    """`GET /still`: the next picture of `images` (round robin), of `content_type`."""

    def __init__(self, images: Sequence[bytes], content_type: str = "image/jpeg") -> None:
        assert images, "a still server needs at least one picture"
        self.images = list(images)
        self.content_type = content_type
        self.delay = 0.0  # seconds before each answer (a slow camera)
        self.status = 200  # anything else: an error answer (a camera that fails)
        self.requests = 0
        self.active = 0
        self.max_active = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/still"

    async def _still(self, _request: web.Request) -> web.Response:
        self.requests += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.status != 200:
                return web.Response(status=self.status, text="camera error")
            body = self.images[(self.requests - 1) % len(self.images)]
            return web.Response(body=body, content_type=self.content_type)
        finally:
            self.active -= 1

    async def start(self) -> StillServer:
        app = web.Application()
        app.router.add_get("/still", self._still)
        # A request its client gave up on (a timeout) ends here too, as on a camera.
        self._runner = web.AppRunner(app, handle_signals=False, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
