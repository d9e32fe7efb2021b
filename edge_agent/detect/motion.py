"""Motion gate: skip inference on frames where nothing moved (listen_frame and the smart camera).

Each frame becomes a small grey thumbnail (THUMB, 80x60): a JPEG is decoded straight to it at
1/8 scale (libjpeg keeps each 8x8 block's mean, which also averages sensor noise away), an RGB
frame is area-averaged to it. The thumbnail is compared with the camera's *background*, a running
average of its recent thumbnails (time constant `background_tau`): motion is when more than
`area_threshold` of the pixels differ from it by more than `pixel_threshold` grey levels, after
removing the frame's overall brightness shift (auto exposure, a cloud) and changes smaller than
2x2 thumbnail pixels (leaves in the wind, noise). A person who walks in and stops stays
"motion" until the background has absorbed them, a second or two later.

Some frames are inferred whatever they show (`MotionState.check`):
- the first `warmup` frames of a stream, and of a stream that resumes after a gap of more than
  `gap` seconds, or after new settings: there is no recent background yet;
- while the last inferred frame had a person and the debounced state is not yet on: the state
  needs `frames_needed` sightings to go on;
- while the state is on, one frame every `keepalive` seconds: a person standing still must not
  be cleared for want of motion (so keepalive must stay below clear_after: capped at half);
- one frame every `max_skip` seconds in any case, a safety net for a person the gate missed.

Where the state lives: `MotionState` (background, timers) lives in the one process that sees all
of a camera's frames: the smart camera's pipeline, listen_frame's MQTT process. The thumbnail is
made where the frame is decoded: listen_frame's parent sends a `MotionCheck` (the background,
4800 floats, and whether the frame is forced) with each job, whichever worker gets it; the worker
answers with the frame's thumbnail (and its changed fraction), which the parent learns. While a
camera moves (or the frame is forced), most frames are inferred, so the check says so
(`expect_inference`) and the worker decodes the frame once, for the model, and averages the
thumbnail from that decode instead of decoding the JPEG a second time at 1/8 (the two thumbnails
differ by 0.6 grey levels on average, 3 at most, on opencv_vtest.avi, against thresholds of 8 to
40). docs/performance.md ("Motion gate") has the measurements behind this.

Small movers (issue 20): the thumbnail is the frame at 1/8 (80x60 for 640x480, 160x90 for 1280x720,
240x135 for 1920x1080; wider frames are averaged down to 320 wide), so a thumbnail pixel is an
8x8 block whatever the frame's size, and motion is judged on *blobs* of changed pixels, not on the
changed share of the whole picture: a frame moves when one connected blob has at least
`min_blob` pixels (3 at the default sensitivity: a person 25 px tall). Each pixel's threshold is
the larger of `pixel_threshold` and `spread_k` times its recent mean deviation (`spread`, learned
like the background): leaves that keep swaying raise their own threshold, a person walking over
still ground does not. The blobs' boxes say where the frame moved (`Judgement.boxes`):
detect/regions.py cuts the model's regions around them. Around a tracked person (the persons'
boxes of the last inference with one, while the state is on or coming on, grown by their own size)
any change beyond `pixel_threshold` is motion, whatever its size and the pixels' spread: a far
person who keeps walking about one place would otherwise raise their own pixels' thresholds, as
leaves do, and stop being seen (docs/detection.md, "Regions from motion").
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import cv2
import numpy as np

from edge_agent.detect.rois import DetectionSettings

THUMB = (80, 60)  # (w, h): a 640x480 frame at 1/8
MAX_THUMB_WIDTH = 320  # wider frames (beyond 2560 px) are averaged down to this
# Opening with a 2x1 (vertical) kernel: drops changed pixels that have no changed neighbour above
# or below (JPEG noise, rain streaks, a leaf's edge) but keeps a far person, who at 1/8 may be one
# block wide and three tall. The 2x2 opening of before removed people under 16 px wide.
_OPEN_KERNEL = np.ones((2, 1), np.uint8)
MAX_BOXES = 16  # blobs reported per frame (the largest)
SCENE_CHANGE = 0.1  # this share of the thumbnail beyond pixel_threshold is motion, spread or not


def thumb_size(size: tuple[int, int]) -> tuple[int, int]:
    """The gate's thumbnail (w, h) for a frame of `size`: the frame at 1/8 (rounded up, as libjpeg
    scales), at most MAX_THUMB_WIDTH wide."""
    w, h = (max(1, -(-int(v) // 8)) for v in size)
    if w > MAX_THUMB_WIDTH:
        w, h = MAX_THUMB_WIDTH, max(1, round(h * MAX_THUMB_WIDTH / w))
    return w, h


def blob_threshold(sensitivity: int) -> int:
    """Thumbnail pixels (8x8 blocks of the frame) a changed blob needs to count as motion: 12 at
    sensitivity 1, 3 at 5 (a person 25-30 px tall walking), 1 from 9 up."""
    s = min(10, max(1, int(sensitivity)))
    return max(1, round(3 * 4 ** ((5 - s) / 4)))


def sensitivity_thresholds(sensitivity: int) -> tuple[float, float]:
    """(pixel_threshold, area_threshold) for a sensitivity from 1 (coarse) to 10 (a few pixels).

    Log-linear from 40 grey levels over 1 % of the thumbnail at 1, to 8 levels over 0.04 % (two
    pixels of 4800) at 10; the default 5 is 20 levels over 0.24 % (12 thumbnail pixels: at
    640x480, a patch of about 30x30 pixels, a person far from the camera).
    """
    t = (min(10, max(1, int(sensitivity))) - 1) / 9.0
    pixel = 40.0 * (8.0 / 40.0) ** t
    area = 0.01 * (0.0004 / 0.01) ** t
    return round(pixel, 1), area


@dataclass(frozen=True)
class MotionSettings:
    pixel_threshold: float = 20.0
    area_threshold: float = 0.0024
    max_skip: float = 10.0  # infer at least this often even without motion
    keepalive: float = 2.0  # while the person state is on, infer at least this often
    gap: float = 5.0  # frames further apart than this start a new scene
    warmup: int = 3  # frames of a new scene that are always inferred
    background_tau: float = 1.0  # seconds: how fast the background follows the scene
    min_blob: int = 3  # thumbnail pixels in one changed blob that make a frame "moving"
    spread_k: float = 5.0  # a pixel's threshold is at least this times its recent mean deviation

    @classmethod
    def from_detection(
        cls, det: DetectionSettings, own: MotionSettings | None = None
    ) -> MotionSettings | None:
        """The gate a camera's ROI set asks for; None when its motion gate is off.

        The one rule of listen_frame and the smart camera (docs/detection.md, motion gate): the
        set's `detection.motion` decides whether there is a gate. `own`, the smart camera's
        `--motion-gate` thresholds, replaces the set's sensitivity when there is one; it never
        turns on a gate the set turned off.
        """
        if not det.motion:
            return None
        # Below clear_after, with room for a missed detection: the state must not clear between two.
        if own is not None:
            return dataclasses.replace(own, keepalive=min(own.keepalive, det.clear_after / 2.0))
        pixel, area = sensitivity_thresholds(det.motion_sensitivity)
        keepalive = min(det.motion_keepalive, det.clear_after / 2.0)
        return cls(
            pixel_threshold=pixel,
            area_threshold=area,
            keepalive=keepalive,
            min_blob=blob_threshold(det.motion_sensitivity),
        )


def thumbnail(rgb: np.ndarray, frame_size: tuple[int, int] | None = None) -> np.ndarray:
    """An RGB (or grey) frame as the gate's grey thumbnail, each pixel a block average.

    `frame_size` (w, h): the size of the frame this image was decoded from when it is a reduced
    decode (the thumbnail's size follows the frame's: `thumb_size`)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    tw, th = thumb_size(frame_size or (grey.shape[1], grey.shape[0]))
    if grey.shape[1] == tw and grey.shape[0] == th:
        return grey
    return cv2.resize(grey, (tw, th), interpolation=cv2.INTER_AREA)


def jpeg_thumbnail(jpeg: bytes) -> np.ndarray:
    """A JPEG as the gate's thumbnail, decoded at 1/8 where the frame is large enough.

    Raises imaging.ImageDecodeError for data that is not a usable JPEG.
    """
    from edge_agent.detect import imaging

    size = imaging.jpeg_dimensions(jpeg)
    return thumbnail(imaging.decode_jpeg_grey(jpeg, thumb_size(size)), size)


def deviation(thumb: np.ndarray, background: np.ndarray) -> np.ndarray:
    """|thumbnail - background| after taking out the median difference (the whole picture
    brighter or darker: auto exposure, a cloud), so that only local change counts."""
    diff = thumb.astype(np.float32) - background
    diff -= float(np.median(diff))
    out: np.ndarray = np.abs(diff)
    return out


def changed_mask(thumb: np.ndarray, background: np.ndarray, threshold: float | np.ndarray) -> np.ndarray:
    """uint8 mask of the thumbnail pixels that changed by more than `threshold` (a number or a
    per-pixel map), opened with the 2x1 kernel (isolated specks removed)."""
    changed = (deviation(thumb, background) > threshold).astype(np.uint8)
    return cv2.morphologyEx(changed, cv2.MORPH_OPEN, _OPEN_KERNEL)


def changed_fraction(thumb: np.ndarray, background: np.ndarray, pixel_threshold: float) -> float:
    """Fraction of the thumbnail's pixels that differ from the background by more than the threshold."""
    changed = changed_mask(thumb, background, pixel_threshold)
    return float(np.count_nonzero(changed)) / changed.size


Box = tuple[float, float, float, float]  # xmin, ymin, xmax, ymax, normalised to the frame


def blobs(mask: np.ndarray, min_pixels: int) -> list[Box]:
    """Boxes (normalised) of the connected blobs of `mask` with at least `min_pixels` pixels,
    the largest first, at most MAX_BOXES."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h, w = mask.shape
    found = [
        (int(stats[i, cv2.CC_STAT_AREA]), i) for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_pixels
    ]
    found.sort(reverse=True)
    out = []
    for _, i in found[:MAX_BOXES]:
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        out.append((x / w, y / h, (x + bw) / w, (y + bh) / h))
    return out


def _near(box: Box, person: Box) -> bool:
    """`box` overlaps `person` grown by its own width and height on each side."""
    w, h = person[2] - person[0], person[3] - person[1]
    return (
        box[0] < person[2] + w
        and box[2] > person[0] - w
        and box[1] < person[3] + h
        and box[3] > person[1] - h
    )


@dataclass(frozen=True, slots=True)
class Judgement:
    """What the gate made of one frame."""

    infer: bool
    fraction: float  # share of the thumbnail that changed
    boxes: tuple[Box, ...] = ()  # where it moved (blobs of at least min_blob pixels), normalised
    moved: bool = True  # a blob big enough: the frame moved (forced frames may not have)


@dataclass(frozen=True, slots=True)
class MotionCheck:
    """What gating one frame needs, wherever the frame is decoded (sent with listen_frame's Job)."""

    background: np.ndarray | None  # float32 THUMB (h, w); None: nothing to compare with yet
    pixel_threshold: float
    area_threshold: float
    force: str | None = None  # why the frame is inferred whatever it shows: start, person, keepalive, refresh
    # Forced, or the camera's last gated frame moved: decode the whole frame first and make the
    # thumbnail from it (a still frame then costs that decode, a moving one saves the 1/8 decode).
    expect_inference: bool = False
    # Per-pixel thresholds (uint8, the thumbnail's shape): max(pixel_threshold, spread_k x the
    # pixel's recent mean deviation); None: pixel_threshold everywhere.
    thresholds: np.ndarray | None = None
    min_blob: int = 3
    # Where the camera's persons were at its last inference with one (normalised boxes), while
    # its state is on or coming on: regions are cut there on frames forced for them.
    tracked: tuple[Box, ...] = ()

    def judge(self, thumb: np.ndarray) -> Judgement:
        """Whether the frame whose thumbnail this is goes to the model, and where it moved."""
        if self.background is None or self.background.shape != thumb.shape:
            return Judgement(True, 1.0, (), True)
        thresholds: float | np.ndarray | None  # per pixel, else pixel_threshold everywhere
        thresholds = self.thresholds
        if thresholds is None or thresholds.shape != thumb.shape:
            thresholds = self.pixel_threshold
        mask = changed_mask(thumb, self.background, thresholds)
        fraction = float(np.count_nonzero(mask)) / mask.size
        boxes = tuple(blobs(mask, self.min_blob))
        plain: np.ndarray | None = None  # the change beyond the plain pixel_threshold, made once
        if not boxes and self.tracked:
            # A person is tracked (their state on or coming on): any change beyond the plain
            # pixel_threshold where they were is them moving. Not the per-pixel thresholds there:
            # a person who keeps moving about one place raises their pixels' spread as swaying
            # leaves do, and the gate would stop seeing them; nor min_blob: a far walker's step
            # can change 1-2 thumbnail pixels.
            plain = (
                mask
                if thresholds is self.pixel_threshold
                else changed_mask(thumb, self.background, self.pixel_threshold)
            )
            boxes = tuple(b for b in blobs(plain, 1) if any(_near(b, t) for t in self.tracked))
        moved = bool(boxes)
        if not moved and thresholds is not self.pixel_threshold:
            # After a burst of change (scene cuts, the camera shaken) every pixel's spread is
            # high and the adaptive thresholds see nothing: a large share of the picture changed
            # beyond the plain threshold is motion whatever the spread says (no boxes: the whole
            # frame is looked at).
            if plain is None:
                plain = changed_mask(thumb, self.background, self.pixel_threshold)
            plain_fraction = float(np.count_nonzero(plain)) / plain.size
            if plain_fraction > SCENE_CHANGE:
                return Judgement(True, plain_fraction, (), True)
        return Judgement(self.force is not None or moved, fraction, boxes, moved)

    def decide(self, thumb: np.ndarray) -> tuple[bool, float]:
        """(infer?, changed fraction) for the frame whose thumbnail this is."""
        j = self.judge(thumb)
        return j.infer, j.fraction


class MotionState:
    """One camera's gate: its background and what must be inferred regardless of motion.

    Not thread-safe by itself: listen_frame calls it under its camera's lock.
    """

    def __init__(self, settings: MotionSettings) -> None:
        self.settings = settings
        self.background: np.ndarray | None = None
        self.spread: np.ndarray | None = None  # each pixel's recent mean deviation (float32)
        self.thresholds: np.ndarray | None = None  # uint8, from spread (MotionCheck.thresholds)
        self.tracked: tuple[Box, ...] = ()  # the persons' boxes at the last inference with one
        self.last_frame_at: float | None = None
        self.learned_at = 0.0
        self.inferred_at = float("-inf")
        self.warm = settings.warmup
        self.person_seen = False
        self.moving = False  # the last learned frame's change was above the area threshold

    def configure(self, settings: MotionSettings) -> None:
        """New settings (a new ROI set): the next frames are inferred, as at a scene's start."""
        if settings != self.settings:
            self.settings = settings
            self.warm = settings.warmup

    def check(self, now: float, person_on: bool) -> MotionCheck:
        """A frame arrived at `now`: what gating it needs (call once per frame, in arrival order)."""
        s = self.settings
        if self.last_frame_at is None or now - self.last_frame_at > s.gap:
            self.background = None  # the scene may have changed in the gap
            self.spread = self.thresholds = None
            self.warm = s.warmup
        self.last_frame_at = now
        force = None
        if self.warm > 0:
            self.warm -= 1
            force = "start"
        elif self.person_seen and not person_on:
            force = "person"
        elif person_on and now - self.inferred_at >= s.keepalive:
            force = "keepalive"
        elif now - self.inferred_at >= s.max_skip:
            force = "refresh"
        if force is not None:
            # Counted as inferred now, not when the result comes back: a second worker must not
            # be forced for the next frame too.
            self.inferred_at = now
        expect = force is not None or self.moving or self.background is None
        if not person_on and not self.person_seen:
            self.tracked = ()
        return MotionCheck(
            self.background,
            s.pixel_threshold,
            s.area_threshold,
            force,
            expect,
            self.thresholds,
            s.min_blob,
            self.tracked,
        )

    def learn(
        self, thumb: np.ndarray, at: float, fraction: float | None = None, moved: bool | None = None
    ) -> None:
        """A frame's thumbnail (inferred or not) moves the background towards it; `moved` (a blob
        big enough, `Judgement.moved`), else `fraction` (the share of it that changed) says
        whether the camera is moving now."""
        if moved is not None:
            self.moving = moved
        elif fraction is not None:
            self.moving = fraction > self.settings.area_threshold
        if self.background is None or self.background.shape != thumb.shape:
            self.background = thumb.astype(np.float32)
            self.spread = np.zeros_like(self.background)
            self.thresholds = None
            self.learned_at = at
            return
        dt = at - self.learned_at
        if dt <= 0:
            return  # an older frame finishing after a newer one
        self.learned_at = at
        alpha = 1.0 - math.exp(-dt / self.settings.background_tau)
        current = thumb.astype(np.float32)
        spread = self.spread if self.spread is not None else np.zeros_like(current)
        # New arrays, not updates in place: a MotionCheck handed out earlier may still be in use.
        self.spread = spread + alpha * (deviation(current, self.background) - spread)
        self.background = self.background + alpha * (current - self.background)
        s = self.settings
        self.thresholds = np.clip(np.maximum(s.pixel_threshold, s.spread_k * self.spread), 0, 255).astype(
            np.uint8
        )

    def inferred(self, at: float, person: bool, boxes: tuple[Box, ...] | None = None) -> None:
        """A frame received at `at` was inferred; `person`: it had one (after the filters);
        `boxes`: where (kept for the regions of the frames forced while the person is on)."""
        self.inferred_at = max(self.inferred_at, at)
        self.person_seen = person
        if person and boxes:
            self.tracked = tuple(boxes)[:MAX_BOXES]


class MotionGate:
    """The gate in one process that has the decoded frames (the smart camera's pipeline)."""

    def __init__(self, settings: MotionSettings) -> None:
        self.state = MotionState(settings)
        self.checked = 0
        self.skipped = 0
        self.last_fraction = 0.0
        self.last: Judgement | None = None
        self.last_check: MotionCheck | None = None

    @property
    def settings(self) -> MotionSettings:
        return self.state.settings

    def configure(self, settings: MotionSettings) -> None:
        self.state.configure(settings)

    def should_analyse(self, rgb: np.ndarray, now: float, person_on: bool = False) -> bool:
        """True when this frame must go to the detector; counts the ones it saves."""
        self.checked += 1
        check = self.state.check(now, person_on)
        thumb = thumbnail(rgb)
        self.last_check, self.last = check, check.judge(thumb)
        infer, self.last_fraction = self.last.infer, self.last.fraction
        self.state.learn(thumb, now, self.last_fraction, self.last.moved)
        if infer:
            self.state.inferred_at = max(self.state.inferred_at, now)
        else:
            self.skipped += 1
        return infer

    def analysed(self, person: bool, now: float | None = None, boxes: tuple[Box, ...] = ()) -> None:
        """The result of the frame `should_analyse` let through (`boxes`: the persons')."""
        self.state.person_seen = person
        if person and boxes:
            self.state.tracked = tuple(boxes)[:MAX_BOXES]
        if now is not None:
            self.state.inferred_at = max(self.state.inferred_at, now)
