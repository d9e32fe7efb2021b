"""The frame size rule: a camera's frames keep the shape of what its source sees.

`frame_size(native, asked)` is the one rule (docs/camera.md, "Frame size"), for every source kind
and both camera modes:

- nothing asked (`width` and `height` unset): the source's own size, shrunk to at most
  `DEFAULT_LONG_SIDE` (640) on its long side, never enlarged: a 1920x1080 stream gives 640x360,
  a 768x576 file 640x480, a portrait 1080x1920 phone stream 360x640, a 320x240 webcam 320x240;
- a width alone: that width, the height from the source's aspect (1280 on 16:9: 1280x720);
- a height alone: that height, the width from the aspect;
- both: the largest size with the source's aspect that fits inside the box (640x480 asked of a
  16:9 stream: 640x360; of a 4:3 one: 640x480). The picture is never stretched nor cropped.

Both sides are even (H.264's 4:2:0 and most JPEG encoders want that) and at least 2; a side
computed from the aspect is rounded to the nearest even number (halves up) and never leaves the asked box.
No I/O and no OpenCV here: the sources call it once they know their native size.
"""

from __future__ import annotations

import math

DEFAULT_LONG_SIDE = 640
# A webcam is asked for this before its native size is known (the size most of them have; the
# driver gives its nearest mode, whose aspect then rules). Fills an asked side that is missing.
PROBE_ASPECT = (4, 3)

Asked = tuple[int | None, int | None]


def asked_size(size: tuple[int | None, int | None] | None) -> Asked:
    """A size as callers pass it (`(w, h)`, `(w, None)`, `(None, None)` or None) checked: each
    given side a positive int."""
    if size is None:
        return (None, None)
    w, h = size
    for v in (w, h):
        if v is not None and (isinstance(v, bool) or int(v) != v or int(v) < 1):
            raise ValueError(f"a frame side must be a positive whole number, got {v!r}")
    return (None if w is None else int(w), None if h is None else int(h))


def _even(v: float, most: int | None = None) -> int:
    """`v` rounded to the nearest even number, at least 2 and at most `most` (itself made even)."""
    out = max(2, math.floor(v / 2.0 + 0.5) * 2)  # halves up: 225 -> 226
    if most is not None:
        out = min(out, max(2, most - most % 2))
    return out


def frame_size(
    native: tuple[int, int], asked: tuple[int | None, int | None] | None = None
) -> tuple[int, int]:
    """The (w, h) frames are handed out at, for a source whose own frames are `native` (w, h)."""
    nw, nh = int(native[0]), int(native[1])
    if nw < 1 or nh < 1:
        raise ValueError(f"a source's size must be positive, got {nw}x{nh}")
    aw, ah = asked_size(asked)
    if aw is None and ah is None:
        scale = min(1.0, DEFAULT_LONG_SIDE / max(nw, nh))
        return _even(nw * scale), _even(nh * scale)
    if ah is None:
        assert aw is not None
        return _even(aw, aw), _even(nh * aw / nw)
    if aw is None:
        return _even(nw * ah / nh), _even(ah, ah)
    scale = min(aw / nw, ah / nh)
    return _even(nw * scale, aw), _even(nh * scale, ah)


def probe_size(asked: tuple[int | None, int | None] | None) -> tuple[int, int]:
    """What to ask a device for before its native size is known (a V4L2 webcam's mode, a box the
    driver rounds to its nearest): the asked box, a missing side filled at 4:3, 640x480 when
    nothing is asked."""
    aw, ah = asked_size(asked)
    pw, ph = PROBE_ASPECT
    if aw is None and ah is None:
        return DEFAULT_LONG_SIDE, DEFAULT_LONG_SIDE * ph // pw
    if ah is None:
        assert aw is not None
        return aw, _even(aw * ph / pw)
    if aw is None:
        return _even(ah * pw / ph), ah
    return aw, ah


def same_aspect(a: tuple[int, int], b: tuple[int, int], tolerance: float = 0.02) -> bool:
    """Whether two sizes have the same aspect within `tolerance` (even rounding moves it a little)."""
    ra, rb = a[0] / a[1], b[0] / b[1]
    return abs(ra - rb) <= tolerance * max(ra, rb)
