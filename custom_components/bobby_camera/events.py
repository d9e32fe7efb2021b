"""The visits of every camera (docs/mqtt.md "events"): an index kept in HA's storage.

The owner of a camera (a listen_frame instance, or the smart camera) publishes
`<base>/<cam>/event` when a visit starts, when its snapshot improves and when it ends. Anyone on
the broker can publish there, so each message is read as untrusted (bounded before parsing,
checked field by field, refused with a rate-limited log line and a counter shown in diagnostics)
and nothing in it ever becomes a host, a URL or a path: the files of a visit are found from the
camera id and the visit id alone (media folder) or asked of the camera's accepted HTTP origin
(event_views.py).

The index is bounded (MAX_PER_CAMERA per camera, MAX_EVENTS in all; the oldest visits go first)
and kept sorted by start per camera, so that a page of visits (the card, the media browser) is a
bisection and a slice, whatever the number of visits.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from homeassistant.components import mqtt
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import CONF_BASE_TOPIC, CONF_CAMERA_ID, DOMAIN, LOGGER, MAX_ROIS, valid_camera_id, valid_roi_id
from .untrusted import Refusals, UntrustedJSONError, read_object

# docs/mqtt.md "events": a message is at most 4 KiB, with at most 32 regions.
MAX_EVENT_BYTES: Final = 4096
MAX_EVENT_REGIONS: Final = MAX_ROIS
EVENT_ID_RE: Final = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{12}")
EVENT_TYPES: Final = ("start", "update", "end")
CLIP_STATES: Final = ("recording", "ready", "none", "failed")
STORES: Final = ("media", "camera")
# A visit that lasts longer than a day is no visit: refused.
MAX_DURATION: Final = 86400.0
MAX_PERSONS: Final = 10000
MAX_SERVICE_CHARS: Final = 128
# Times before 2001 or after 2286 are no Unix time of a visit.
MIN_TIME: Final = 1e9
MAX_TIME: Final = 1e10

# Bounds of the index: a camera keeps its newest MAX_PER_CAMERA visits, all cameras together the
# newest MAX_EVENTS (about 300 bytes each in HA's storage).
MAX_PER_CAMERA: Final = 10000
MAX_EVENTS: Final = 20000

STORAGE_KEY: Final = f"{DOMAIN}.events"
STORAGE_VERSION: Final = 1
# Messages come in bursts (start, updates, end): one write of the index per SAVE_DELAY at most.
SAVE_DELAY: Final = 10.0

# Where the add-on writes the files of a visit, under HA's media folder (docs/mqtt.md "events").
MEDIA_FOLDER: Final = "bobby_camera"
# The file names of a visit: kind -> suffix after the id.
FILE_SUFFIXES: Final = {"clip": ".mp4", "snapshot": ".jpg", "clean": "-clean.jpg"}
FILE_RE: Final = re.compile(r"(?P<id>\d{8}T\d{6}Z-[0-9a-f]{12})(?P<suffix>\.mp4|-clean\.jpg|\.jpg)")

DATA_EVENTS: HassKey[EventIndex] = HassKey(f"{DOMAIN}_events")


def valid_event_id(value: object) -> bool:
    """A visit id: `YYYYMMDDTHHMMSSZ-` and 12 hex digits (docs/mqtt.md)."""
    return isinstance(value, str) and EVENT_ID_RE.fullmatch(value) is not None


def file_kind(name: str) -> tuple[str, str] | None:
    """(visit id, kind) of a file name of a visit (`<id>.mp4`, `<id>.jpg`, `<id>-clean.jpg`)."""
    if (match := FILE_RE.fullmatch(name)) is None:
        return None
    kind = next(k for k, suffix in FILE_SUFFIXES.items() if suffix == match["suffix"])
    return match["id"], kind


def file_name(event_id: str, kind: str) -> str:
    """The file name of one of a visit's files."""
    return f"{event_id}{FILE_SUFFIXES[kind]}"


def media_root(hass: HomeAssistant) -> Path | None:
    """`<HA's media folder>/bobby_camera`: the `local` media folder (HA OS: /media), else the first."""
    dirs = hass.config.media_dirs
    root = dirs.get("local") or next(iter(dirs.values()), None)
    return Path(root) / MEDIA_FOLDER if root else None


class OutsideMediaFolder(Exception):
    """A visit's file resolves outside `<media>/bobby_camera` (a symbolic link): not served."""


def media_file(root: Path, camera: str, event_id: str, kind: str) -> Path | None:
    """The file of a visit under `root`, None when it does not exist (runs in the executor).

    Built only from a valid camera id and a valid visit id, then resolved (symbolic links
    followed) and checked to be inside `root`: OutsideMediaFolder otherwise.
    """
    if not valid_camera_id(camera) or not valid_event_id(event_id) or kind not in FILE_SUFFIXES:
        raise OutsideMediaFolder(f"{camera!r}/{event_id!r} is no camera and visit")
    base = root.resolve()
    path = (base / camera / file_name(event_id, kind)).resolve()
    if not path.is_relative_to(base):
        raise OutsideMediaFolder(f"{camera}/{file_name(event_id, kind)} resolves outside {base}")
    return path if path.is_file() else None


class BadEvent(ValueError):
    """An event message that is not one; `reason` is its counter."""

    def __init__(self, reason: str, detail: str) -> None:
        """The counter's name and what was wrong."""
        super().__init__(detail)
        self.reason = reason


def _number(
    raw: Mapping[str, Any], key: str, *, low: float, high: float, optional: bool = True
) -> float | None:
    value = raw.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadEvent("event_invalid", f"{key} is not a number")
    if not low <= value <= high:
        raise BadEvent("event_invalid", f"{key} {value} is not within {low}..{high}")
    return float(value)


@dataclass(slots=True)
class Visit:
    """One visit as the index keeps it (the messages of one id merged)."""

    id: str
    camera: str
    start: float
    end: float | None = None
    regions: list[str] = field(default_factory=list)
    max_persons: int = 0
    score: float | None = None
    snapshot: bool = False
    clip: str = "recording"
    duration: float | None = None
    store: str = "media"
    service: str | None = None
    ended: bool = False
    at: float | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any], camera: str) -> tuple[str, Visit]:
        """(type, visit) of a message of `camera`'s topic; BadEvent says what is wrong."""
        kind = raw.get("type")
        if kind not in EVENT_TYPES:
            raise BadEvent("event_invalid", f"type {str(kind)[:20]!r} is not start, update or end")
        event_id = raw.get("id")
        if not valid_event_id(event_id):
            raise BadEvent("event_bad_id", f"id {str(event_id)[:40]!r} is not a visit id")
        if raw.get("camera") != camera:
            raise BadEvent(
                "event_camera", f"camera {str(raw.get('camera'))[:70]!r} is not the topic's {camera}"
            )
        start = _number(raw, "start", low=MIN_TIME, high=MAX_TIME, optional=False)
        end = _number(raw, "end", low=MIN_TIME, high=MAX_TIME)
        assert start is not None
        if end is not None and end < start:
            raise BadEvent("event_invalid", "end is before start")
        regions = raw.get("regions", [])
        if regions is None:
            regions = []
        if not isinstance(regions, list) or len(regions) > MAX_EVENT_REGIONS:
            raise BadEvent("event_invalid", f"regions is not a list of at most {MAX_EVENT_REGIONS}")
        if not all(valid_roi_id(r) for r in regions):
            raise BadEvent("event_invalid", "regions holds something that is no region id")
        persons = raw.get("max_persons", 0)
        if persons is None:
            persons = 0
        if isinstance(persons, bool) or not isinstance(persons, int) or not 0 <= persons <= MAX_PERSONS:
            raise BadEvent("event_invalid", "max_persons is not a count")
        score = _number(raw, "score", low=0.0, high=1.0)
        snapshot = raw.get("snapshot", False)
        if not isinstance(snapshot, bool):
            raise BadEvent("event_invalid", "snapshot is not true or false")
        clip = raw.get("clip", "recording")
        if clip not in CLIP_STATES:
            raise BadEvent("event_invalid", f"clip {str(clip)[:20]!r} is not one of {', '.join(CLIP_STATES)}")
        duration = _number(raw, "duration", low=0.0, high=MAX_DURATION)
        store = raw.get("store", "media")
        if store not in STORES:
            raise BadEvent("event_invalid", f"store {str(store)[:20]!r} is not media or camera")
        service = raw.get("service")
        if service is not None and (not isinstance(service, str) or len(service) > MAX_SERVICE_CHARS):
            raise BadEvent("event_invalid", "service is not a short string")
        at = _number(raw, "at", low=MIN_TIME, high=MAX_TIME)
        return kind, cls(
            id=str(event_id),
            camera=camera,
            start=start,
            end=end,
            regions=list(dict.fromkeys(regions)),
            max_persons=persons,
            score=score,
            snapshot=snapshot,
            clip=clip,
            duration=duration,
            store=store,
            service=service,
            ended=kind == "end",
            at=at,
        )

    def merge(self, newer: Visit) -> None:
        """Fold a later message of the same visit in: what it adds, never taking back what is known.

        The regions are united, the most persons and the best score kept; a clip that is ready,
        failed or not recorded stays so (an `update` that arrives late says `recording`).
        """
        self.end = newer.end if newer.end is not None else self.end
        self.regions = list(dict.fromkeys([*self.regions, *newer.regions]))[:MAX_EVENT_REGIONS]
        self.max_persons = max(self.max_persons, newer.max_persons)
        if newer.score is not None:
            self.score = newer.score if self.score is None else max(self.score, newer.score)
        self.snapshot = self.snapshot or newer.snapshot
        if self.clip == "recording" or newer.ended:
            self.clip = newer.clip
        self.duration = newer.duration if newer.duration is not None else self.duration
        self.store = newer.store
        self.service = newer.service or self.service
        self.ended = self.ended or newer.ended
        self.at = newer.at if newer.at is not None else self.at

    def as_dict(self) -> dict[str, Any]:
        """The stored form (also the fields the websocket and the media browser read)."""
        return {
            "id": self.id,
            "camera": self.camera,
            "start": self.start,
            "end": self.end,
            "regions": list(self.regions),
            "max_persons": self.max_persons,
            "score": self.score,
            "snapshot": self.snapshot,
            "clip": self.clip,
            "duration": self.duration,
            "store": self.store,
            "service": self.service,
            "ended": self.ended,
            "at": self.at,
        }

    @classmethod
    def from_stored(cls, raw: Mapping[str, Any]) -> Visit | None:
        """A visit read back from storage (checked again: the file can be edited by hand)."""
        if not valid_camera_id(raw.get("camera")):
            return None
        try:
            _kind, visit = cls.parse(
                {**raw, "type": "end" if raw.get("ended") is True else "update"}, str(raw.get("camera"))
            )
        except BadEvent:
            return None
        return visit


@dataclass(slots=True)
class CameraVisits:
    """One camera's visits: by id, and their (start, id) sorted (oldest first)."""

    by_id: dict[str, Visit] = field(default_factory=dict)
    order: list[tuple[float, str]] = field(default_factory=list)
    # Visits per local day, recomputed when the visits change (the media browser's days).
    _days: dict[date, int] | None = None

    def add(self, visit: Visit) -> None:
        self.by_id[visit.id] = visit
        bisect.insort(self.order, (visit.start, visit.id))
        self._days = None

    def drop_oldest(self) -> Visit:
        _start, event_id = self.order.pop(0)
        self._days = None
        return self.by_id.pop(event_id)

    def days(self) -> dict[date, int]:
        """{local day: visits}, newest day first."""
        if self._days is None:
            counts: Counter[date] = Counter(local_day(start) for start, _id in self.order)
            self._days = dict(sorted(counts.items(), reverse=True))
        return self._days


def local_day(timestamp: float) -> date:
    """The day (HA's time zone) of a Unix time."""
    return dt_util.as_local(dt_util.utc_from_timestamp(timestamp)).date()


def day_bounds(day: date) -> tuple[float, float]:
    """Unix times of a local day's first instant and of the next day's."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=dt_util.get_default_time_zone())
    end = datetime.combine(
        day + timedelta(days=1), datetime.min.time(), tzinfo=dt_util.get_default_time_zone()
    )
    return start.timestamp(), end.timestamp()


class EventIndex:
    """Every camera's visits, merged by id from `<base>/+/event`, bounded, kept in HA's storage."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Empty; async_load reads the stored index."""
        self.hass = hass
        self.cameras: dict[str, CameraVisits] = {}
        self.total = 0
        self.dropped = 0
        self.refusals = Refusals("Bobby Camera events")
        # Messages of cameras that have no entry here (another HA's, or not added yet): not kept.
        self.ignored: Counter[str] = Counter()
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY, private=True)
        # base topic -> [entries following it, unsubscribe]
        self._bases: dict[str, list[Any]] = {}
        self._listeners: list[CALLBACK_TYPE] = []

    # ---- storage ------------------------------------------------------------------------------

    async def async_load(self) -> None:
        """Read the stored index (visits that no longer pass the checks are left out)."""
        stored = await self._store.async_load()
        raw_visits = stored.get("events") if isinstance(stored, dict) else None
        if not isinstance(raw_visits, list):
            return
        for raw in raw_visits:
            visit = Visit.from_stored(raw) if isinstance(raw, dict) else None
            if visit is not None and self.get(visit.camera, visit.id) is None:
                self._insert(visit)

    def _data_to_save(self) -> dict[str, Any]:
        return {
            "events": [
                visits.by_id[event_id].as_dict()
                for visits in self.cameras.values()
                for _start, event_id in visits.order
            ]
        }

    @callback
    def _schedule_save(self) -> None:
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    # ---- what the index holds -----------------------------------------------------------------

    def get(self, camera: str, event_id: str) -> Visit | None:
        """A visit by camera and id."""
        visits = self.cameras.get(camera)
        return visits.by_id.get(event_id) if visits is not None else None

    def count(self, camera: str) -> int:
        """How many visits of a camera are kept."""
        visits = self.cameras.get(camera)
        return len(visits.order) if visits is not None else 0

    def page(self, camera: str, limit: int, before: float | None = None) -> tuple[list[Visit], bool]:
        """Up to `limit` visits of `camera` that started before `before`, newest first, and whether
        older ones remain."""
        visits = self.cameras.get(camera)
        if visits is None:
            return [], False
        end = len(visits.order) if before is None else bisect.bisect_left(visits.order, (before, ""))
        first = max(0, end - limit)
        return [visits.by_id[event_id] for _s, event_id in reversed(visits.order[first:end])], first > 0

    def between(self, camera: str, since: float, until: float) -> list[Visit]:
        """The visits of `camera` that started in [since, until), newest first."""
        visits = self.cameras.get(camera)
        if visits is None:
            return []
        low = bisect.bisect_left(visits.order, (since, ""))
        high = bisect.bisect_left(visits.order, (until, ""))
        return [visits.by_id[event_id] for _s, event_id in reversed(visits.order[low:high])]

    def days(self, camera: str) -> dict[date, int]:
        """{local day: visits} of a camera, newest first."""
        visits = self.cameras.get(camera)
        return visits.days() if visits is not None else {}

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` whenever a visit is added or changes; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # ---- changes ------------------------------------------------------------------------------

    def _insert(self, visit: Visit) -> bool:
        """Add a new visit within the bounds; False when it is older than everything kept."""
        visits = self.cameras.setdefault(visit.camera, CameraVisits())
        if len(visits.order) >= MAX_PER_CAMERA:
            if (visit.start, visit.id) < visits.order[0]:
                self.dropped += 1
                return False
            visits.drop_oldest()
            self.total -= 1
            self.dropped += 1
        visits.add(visit)
        self.total += 1
        while self.total > MAX_EVENTS:
            oldest = min((v for v in self.cameras.values() if v.order), key=lambda v: v.order[0])
            oldest.drop_oldest()
            self.total -= 1
            self.dropped += 1
        return self.get(visit.camera, visit.id) is not None

    @callback
    def async_apply(self, camera: str, payload: str | bytes | bytearray) -> Visit | None:
        """Read one message of `<base>/<camera>/event` and merge it; None when refused."""
        try:
            raw = read_object(payload, max_bytes=MAX_EVENT_BYTES)
            _kind, visit = Visit.parse(raw, camera)
        except UntrustedJSONError as err:
            self.refusals.refuse(
                "event_malformed", "ignoring a malformed event of camera %s: %s", camera, err
            )
            return None
        except BadEvent as err:
            self.refusals.refuse(err.reason, "ignoring an event of camera %s: %s", camera, err)
            return None
        if (known := self.get(camera, visit.id)) is not None:
            known.merge(visit)
            visit = known
        elif not self._insert(visit):
            return None
        self._schedule_save()
        for listener in list(self._listeners):
            listener()
        return visit

    @callback
    def async_forget_camera(self, camera: str) -> int:
        """Drop every visit of a camera (removed in HA); how many were dropped."""
        visits = self.cameras.pop(camera, None)
        if visits is None:
            return 0
        self.total -= len(visits.order)
        self._schedule_save()
        LOGGER.debug("Forgot the %s visits of camera %s", len(visits.order), camera)
        return len(visits.order)

    # ---- MQTT ---------------------------------------------------------------------------------

    async def async_follow(self, base: str) -> CALLBACK_TYPE:
        """Subscribe to `<base>/+/event` (once per base, whatever the number of entries under it);
        returns the entry's release."""
        if (held := self._bases.get(base)) is None:
            held = self._bases[base] = [0, None]

            @callback
            def on_event(msg: mqtt.ReceiveMessage) -> None:
                self._on_event(base, msg)

            try:
                held[1] = await mqtt.async_subscribe(self.hass, f"{base}/+/event", on_event, 1)
            except BaseException:
                del self._bases[base]
                raise
        held[0] += 1

        @callback
        def release() -> None:
            held[0] -= 1
            if held[0] == 0 and self._bases.get(base) is held:
                del self._bases[base]
                held[1]()

        return release

    def _cameras_of(self, base: str) -> set[str]:
        return {
            entry.data[CONF_CAMERA_ID]
            for entry in self.hass.config_entries.async_entries(DOMAIN)
            if entry.data.get(CONF_BASE_TOPIC) == base
        }

    @callback
    def _on_event(self, base: str, msg: mqtt.ReceiveMessage) -> None:
        camera = msg.topic[len(base) + 1 : -len("/event")]
        if not msg.payload or not valid_camera_id(camera):
            return
        if camera not in self._cameras_of(base):
            self.ignored[camera if len(self.ignored) < 100 else "other"] += 1
            return
        self.async_apply(camera, msg.payload)

    # ---- diagnostics --------------------------------------------------------------------------

    def diagnostics(self, camera: str) -> dict[str, Any]:
        """What the index holds for a camera and what it refused (all cameras)."""
        newest, _more = self.page(camera, 1)
        return {
            "visits": self.count(camera),
            "visits_all_cameras": self.total,
            "dropped_oldest": self.dropped,
            "newest": newest[0].as_dict() if newest else None,
            "refused": dict(sorted(self.refusals.counts.items())),
            "ignored_other_cameras": sum(self.ignored.values()),
        }


def event_index(hass: HomeAssistant) -> EventIndex | None:
    """The index, once async_setup has loaded it."""
    return hass.data.get(DATA_EVENTS)


async def async_setup_events(hass: HomeAssistant) -> EventIndex:
    """Create and load the index (once, from async_setup)."""
    if (index := hass.data.get(DATA_EVENTS)) is None:
        index = EventIndex(hass)
        await index.async_load()
        hass.data[DATA_EVENTS] = index
    return index
