"""A Home Assistant camera entity as a Bobby camera (docs/home-assistant.md, "A Home Assistant
camera as a Bobby camera").

Any `camera.*` entity (ESPHome's esp32_camera, generic, ONVIF, another integration's) becomes a
dumb camera on the broker: this module fetches its still images at the rate chosen
(`camera.async_get_image`, with a timeout, one fetch at a time: the next starts only once the
previous has ended) and publishes them as the dumb camera of docs/mqtt.md does, through Home
Assistant's own MQTT client: a retained announce (`mode: dumb`), its availability, JPEG frames
on `<base>/<cam>/frame`, the stream switch (`stream/set` answered on `stream/state`, retained and
adopted at the next start) and `forget` (a live one stops it until the entry is loaded again). So
listen_frame, regions, the card, events and health work as for any other camera.

What is not a JPEG, or is larger than listen_frame takes (MAX_SOURCE_FRAME_BYTES), is re-encoded
(Pillow, in the executor); anything else is passed on as the camera gave it.

Failures (the entity missing or unavailable, a timeout, an error of its integration, a picture
that is not one) are counted by reason, logged at most once a minute per reason and shown in the
diagnostics; the next try backs off (the frame interval doubled per failure, up to
SOURCE_BACKOFF_MAX). After OFFLINE_AFTER seconds without a frame the camera is published
`offline`, and `online` again with the next frame. A source entity removed from Home Assistant
(or missing for MISSING_ISSUE_DELAY) raises a repair issue; a renamed one is followed.

Unloading the entry (and Home Assistant stopping) publishes `offline`. Home Assistant's MQTT
client has one Last Will (its own status topic), not one per camera: after a crash of Home
Assistant, listen_frame reads that Will and publishes `offline` for the cameras whose announce
says `platform: home_assistant` (without a listen_frame the retained `online` stays until Home
Assistant starts again); see the docs.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections import Counter
from contextlib import suppress
from typing import Any

from homeassistant.components import mqtt
from homeassistant.components.camera import async_get_image
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, STATE_UNAVAILABLE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_entity_registry_updated_event
from homeassistant.util.hass_dict import HassKey
from PIL import Image

from .const import (
    CONF_SOURCE_ENTITY,
    CONF_SOURCE_FPS,
    DOMAIN,
    JPEG_MAGIC,
    LOGGER,
    MAX_SOURCE_FPS,
    MAX_SOURCE_FRAME_BYTES,
    MIN_SOURCE_FPS,
    MODE_DUMB,
    OFFLINE,
    ONLINE,
    SOURCE_BACKOFF_MAX,
    SOURCE_FETCH_TIMEOUT,
    Topics,
)
from .repairs import ISSUE_SOURCE_MISSING, async_clear_issue, async_raise_issue
from .untrusted import Refusals, UntrustedJSONError, read_json, read_object

# The loaded sources, by entry id (the cap on their number is checked against it).
DATA_SOURCES: HassKey[dict[str, HaCameraSource]] = HassKey(f"{DOMAIN}_sources")

# How long the retained stream state of an earlier run may take to come back before frames start.
STREAM_STATE_WAIT = 1.0
# Without a frame for this long (the source failing), the camera is published offline.
OFFLINE_AFTER = 30.0
# A source entity without a state for this long raises the repair issue (at start-up its
# integration may come up after this one).
MISSING_ISSUE_DELAY = 60.0
# What Pillow is given to re-encode: larger pictures are refused before being decoded.
MAX_SOURCE_IMAGE_BYTES = 32 * 1024 * 1024
MAX_SOURCE_PIXELS = 40_000_000
# A re-encoded frame's longest side and its qualities, tried in order until it fits.
REENCODE_MAX_SIDE = 1920
REENCODE_QUALITIES = (85, 70, 50)
# Twin: edge_agent/mqtt/messages.py MAX_COMMAND_BYTES, MAX_STATE_BYTES, MAX_FORGET_BYTES,
# FORGET_TEXT_MAX; edge_agent/mqtt/topics.py ON, OFF; the announce's `name` (listen_frame's
# cameras.py takes 1 to 64 characters).
MAX_COMMAND_BYTES = 1024
MAX_STATE_BYTES = 4096
MAX_FORGET_BYTES = 1024
FORGET_TEXT_MAX = 64
MAX_ANNOUNCE_NAME = 64
ON = "ON"
OFF = "OFF"
# The announce's `platform` and `sw_version` (at most 32 characters for listen_frame).
PLATFORM = "home_assistant"
SW_VERSION = "bobby_camera"


class CommandError(ValueError):
    """A `stream/set` or `forget` payload that is not what docs/mqtt.md says; the message says why."""


def parse_switch(payload: bytes | bytearray | str) -> tuple[bool, str | None]:
    """`ON` / `OFF` (any case), or JSON `{"state": "ON", "request_id": "…"}` -> (on, request id).

    Twin: edge_agent/mqtt/messages.py parse_switch (tests/ha/test_ha_source.py compares them).
    """
    raw = payload.encode() if isinstance(payload, str) else bytes(payload)
    if len(raw) > MAX_COMMAND_BYTES:
        raise CommandError(f"{len(raw)} bytes; a command is at most {MAX_COMMAND_BYTES}")
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CommandError("payload is not UTF-8") from None
    if text.upper() in (ON, OFF):
        return text.upper() == ON, None
    if not text.startswith("{"):
        raise CommandError(f'expected ON, OFF or JSON {{"state": …}}, got {text[:40]!r}')
    try:
        data = read_json(text, max_bytes=MAX_COMMAND_BYTES)
    except UntrustedJSONError as err:
        raise CommandError(f"invalid JSON: {err}") from None
    state = data.get("state")  # text starting with "{" that parses is an object
    if state not in (ON, OFF, ON.lower(), OFF.lower(), "On", "Off"):
        raise CommandError(f'\'state\' must be "ON" or "OFF", got {str(state)[:40]!r}')
    rid = data.get("request_id")
    if rid is not None and (not isinstance(rid, str) or len(rid) > 64):
        raise CommandError("'request_id' must be a string of at most 64 characters")
    return state.upper() == ON, rid


def parse_forget(payload: bytes | bytearray | str) -> str | None:
    """A `forget` (a JSON object, every key optional): who asked (`by`); CommandError says why not.

    Twin: edge_agent/mqtt/messages.py Forget.parse.
    """
    raw = payload.encode() if isinstance(payload, str) else bytes(payload)
    if len(raw) > MAX_FORGET_BYTES:
        raise CommandError(f"{len(raw)} bytes; a forget is at most {MAX_FORGET_BYTES}")
    try:
        data = read_json(raw, max_bytes=MAX_FORGET_BYTES)
    except UntrustedJSONError as err:
        raise CommandError(f"not JSON: {err}") from None
    if not isinstance(data, dict):
        raise CommandError("a forget must be a JSON object")
    for key in ("by", "reason"):
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > FORGET_TEXT_MAX):
            raise CommandError(f"{key!r} must be a string of at most {FORGET_TEXT_MAX} characters")
    at = data.get("at")
    if at is not None and (isinstance(at, bool) or not isinstance(at, (int, float)) or at < 0):
        raise CommandError("'at' must be a time in Unix seconds")
    return data.get("by")


def entity_camera_id(entity_id: str) -> str:
    """A camera id from a camera entity's id: its object id, cut to 64 characters (an object id
    is `a-z 0-9 _`, so it is a valid camera id)."""
    return entity_id.partition(".")[2][:64]


# JPEG start-of-frame markers (SOF0-3, 5-7, 9-11, 13-15): the picture's size follows them.
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's header, None when it has none (read bounded: marker by marker)."""
    i, end = 2, len(data)
    while i + 9 <= end:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # no length
            i += 2
            continue
        if marker == 0xDA:  # the picture's data: no frame header before it
            return None
        if marker in _SOF:
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return (width, height) if width and height else None
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def reencode(data: bytes, limit: int = MAX_SOURCE_FRAME_BYTES) -> bytes:
    """The picture as a JPEG of at most `limit` bytes (in the executor: Pillow decodes it);
    ValueError when it is not a picture Pillow reads, too large to decode, or does not fit."""
    if len(data) > MAX_SOURCE_IMAGE_BYTES:
        raise ValueError(f"{len(data)} bytes, more than {MAX_SOURCE_IMAGE_BYTES} to re-encode")
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_SOURCE_PIXELS:
                raise ValueError(f"{width}x{height} pixels, more than {MAX_SOURCE_PIXELS}")
            img.draft("RGB", (REENCODE_MAX_SIDE, REENCODE_MAX_SIDE))  # JPEG: decoded smaller
            rgb = img.convert("RGB")
    except (OSError, Image.DecompressionBombError) as err:
        raise ValueError(f"not a picture: {str(err)[:100]}") from None
    rgb.thumbnail((REENCODE_MAX_SIDE, REENCODE_MAX_SIDE))
    for quality in REENCODE_QUALITIES:
        out = io.BytesIO()
        rgb.save(out, "JPEG", quality=quality)
        if out.tell() <= limit:
            return out.getvalue()
    raise ValueError(f"more than {limit} bytes even re-encoded at quality {REENCODE_QUALITIES[-1]}")


def clamp_fps(value: Any) -> float:
    """A rate within the caps (MIN_SOURCE_FPS to MAX_SOURCE_FPS frames a second)."""
    try:
        fps = float(value)
    except (TypeError, ValueError):
        fps = MIN_SOURCE_FPS
    if fps != fps:  # NaN
        fps = MIN_SOURCE_FPS
    return min(MAX_SOURCE_FPS, max(MIN_SOURCE_FPS, fps))


class HaCameraSource:
    """One camera entity published as a dumb Bobby camera (see the module's docstring)."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, camera_id: str, base_topic: str, name: str
    ) -> None:
        """Nothing runs before async_start."""
        self.hass = hass
        self.entry = entry
        self.camera_id = camera_id
        self.name = name.strip()[:MAX_ANNOUNCE_NAME] or camera_id
        self.entity_id: str = entry.data[CONF_SOURCE_ENTITY]
        self.fps = clamp_fps(entry.data.get(CONF_SOURCE_FPS))
        self.topics = Topics(base_topic, camera_id)
        # Frames fetched and published, re-encoded, skipped (stream off, MQTT away).
        self.counters: Counter[str] = Counter()
        # Failures by reason (timeout, unavailable, missing, error, not_an_image, publish), logged
        # at most once a minute per reason; bad commands too (bad_command, bad_forget).
        self.failures = Refusals(f"Camera {camera_id} (from {self.entity_id})")
        self.consecutive_failures = 0
        self.last_error: str | None = None
        self.last_frame_at: float | None = None
        self.resolution: tuple[int, int] | None = None
        self.streaming = True
        self.stream_request_id: str | None = None
        self.stream_at = time.time()
        self.forgotten = False
        self.online: bool | None = None  # what was last published on the availability topic
        # Fetches under way now, and the most ever under way at once: never more than 1.
        self.fetching = 0
        self.max_fetching = 0
        self._commanded = False
        self._settled = False
        self._missing_since: float | None = None
        self._since_frame = time.monotonic()  # the offline rule's clock (from start-up)
        self._stopping = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubs: list[CALLBACK_TYPE] = []
        self._untrack_entity: CALLBACK_TYPE | None = None
        self._unsub_stop: CALLBACK_TYPE | None = None

    @property
    def interval(self) -> float:
        """Seconds between the starts of two fetches."""
        return 1.0 / self.fps

    # ---- life cycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Announce the camera, listen to its switch and forget, start fetching."""
        t = self.topics
        if mqtt.is_connected(self.hass):
            # Announcing itself again clears a `forget` left on the broker: before subscribing to
            # it (docs/mqtt.md, forget), as the dumb camera does.
            await self._publish(t.forget, "", 1, True)
        for topic, handler in (
            (t.stream_state, self._on_stream_state),
            (t.stream_set, self._on_stream_set),
            (t.forget, self._on_forget),
        ):
            self._unsubs.append(await mqtt.async_subscribe(self.hass, topic, handler, 1))
        self._unsubs.append(mqtt.async_subscribe_connection_status(self.hass, self._on_connection))
        self._unsub_stop = self.hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, self._async_ha_stop)
        self._track_entity()
        if mqtt.is_connected(self.hass):
            await self._publish_identity()
        self._task = self.entry.async_create_background_task(
            self.hass, self._run(), f"bobby_camera source {self.camera_id}"
        )
        LOGGER.info(
            "Camera %s: publishing %s at %g frames a second under %s",
            self.camera_id,
            self.entity_id,
            self.fps,
            self.topics.base,
        )

    async def async_stop(self) -> None:
        """Stop fetching; publish `offline` (not for a forgotten camera: its topics stay empty)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while self._unsubs:
            self._unsubs.pop()()
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        if self._untrack_entity is not None:
            self._untrack_entity()
            self._untrack_entity = None
        self.hass.data.get(DATA_SOURCES, {}).pop(self.entry.entry_id, None)
        if not self.forgotten and mqtt.is_connected(self.hass):
            await self._set_online(False)

    async def _async_ha_stop(self, _event: Event) -> None:
        """Home Assistant stops (entries are not unloaded then): stop and say `offline`."""
        self._unsub_stop = None  # fired: removed by the bus itself
        self._stopping = True
        self._wake.set()
        if not self.forgotten and mqtt.is_connected(self.hass):
            await self._set_online(False)

    def set_fps(self, fps: float) -> None:
        """A new rate (the options flow): used from the next fetch on; the announce says it."""
        self.fps = clamp_fps(fps)
        self._wake.set()
        if not self.forgotten and mqtt.is_connected(self.hass):
            self.entry.async_create_task(self.hass, self._publish_announce(), "bobby_camera announce")

    # ---- MQTT ---------------------------------------------------------------------------------

    def announce(self) -> dict[str, Any]:
        """The retained announce (docs/mqtt.md, announce)."""
        return {
            "id": self.camera_id,
            "name": self.name,
            "mode": MODE_DUMB,
            "resolution": list(self.resolution) if self.resolution else None,
            "fps": round(self.fps, 3),
            "sw_version": SW_VERSION,
            "platform": PLATFORM,
            "source": self.entity_id,
            "stream_url": None,
            "snapshot_url": None,
        }

    async def _publish(self, topic: str, payload: str | bytes, qos: int, retain: bool) -> bool:
        try:
            await mqtt.async_publish(self.hass, topic, payload, qos, retain)
        except HomeAssistantError as err:
            self.failures.refuse("publish", "could not publish on %s: %s", topic, err)
            return False
        return True

    async def _publish_announce(self) -> None:
        await self._publish(self.topics.announce, json.dumps(self.announce()), 1, True)

    async def _publish_identity(self) -> None:
        """The announce, the availability and (once settled) the stream state."""
        if self.forgotten:
            return
        await self._publish_announce()
        await self._set_online(self.online is not False, force=True)
        if self._settled:
            await self._publish_stream_state()

    async def _set_online(self, online: bool, *, force: bool = False) -> None:
        if (online == self.online and not force) or (online and self._stopping):
            return  # stopping: a picture sent meanwhile does not undo the `offline`
        self.online = online
        await self._publish(self.topics.availability, ONLINE if online else OFFLINE, 1, True)

    async def _publish_stream_state(self) -> None:
        payload = json.dumps(
            {
                "state": ON if self.streaming else OFF,
                "request_id": self.stream_request_id,
                "at": round(self.stream_at, 3),
            }
        )
        await self._publish(self.topics.stream_state, payload, 1, True)

    @callback
    def _on_connection(self, connected: bool) -> None:
        """Connected again: the broker may have lost what is retained; wake the fetch loop."""
        if connected and not self._stopping:
            self.entry.async_create_task(self.hass, self._publish_identity(), "bobby_camera identity")
            self._wake.set()

    @callback
    def _on_stream_state(self, msg: mqtt.ReceiveMessage) -> None:
        """Our retained state from an earlier run: adopted before the first frame, unless a
        command came first."""
        if self._settled or self._commanded or not msg.retain or not msg.payload:
            return
        try:
            data = read_object(msg.payload, max_bytes=MAX_STATE_BYTES)
        except UntrustedJSONError:
            return
        if data.get("state") not in (ON, OFF):
            return
        self.streaming = data["state"] == ON
        rid = data.get("request_id")
        self.stream_request_id = rid if isinstance(rid, str) and len(rid) <= 64 else None
        LOGGER.info("Camera %s: streaming %s (its state from an earlier run)", self.camera_id, data["state"])

    @callback
    def _on_stream_set(self, msg: mqtt.ReceiveMessage) -> None:
        if self.forgotten:
            return
        try:
            on, request_id = parse_switch(msg.payload)
        except CommandError as err:
            self.failures.refuse("bad_command", "refused a command on %s: %s", msg.topic, err)
            return
        self._commanded = True
        self.streaming, self.stream_request_id, self.stream_at = on, request_id, time.time()
        LOGGER.info("Camera %s: streaming %s", self.camera_id, ON if on else OFF)
        self.entry.async_create_task(self.hass, self._publish_stream_state(), "bobby_camera stream state")
        self._wake.set()

    @callback
    def _on_forget(self, msg: mqtt.ReceiveMessage) -> None:
        """Removed in Home Assistant (a live `forget`): no more frames, its retained topics emptied,
        until the entry is loaded again."""
        if not msg.payload or msg.retain or self.forgotten:
            return  # cleared, or a marker from before our start (cleared then)
        try:
            by = parse_forget(msg.payload)
        except CommandError as err:
            self.failures.refuse("bad_forget", "refused the forget: %s", err)
            return
        self.forgotten = True
        self._wake.set()
        LOGGER.warning(
            "Camera %s: removed (by %s): no more frames from %s; reload the entry to offer it again",
            self.camera_id,
            by or "someone",
            self.entity_id,
        )
        for topic in (self.topics.announce, self.topics.stream_state, self.topics.availability):
            self.entry.async_create_task(self.hass, self._publish(topic, "", 1, True), "bobby_camera forget")

    # ---- the source entity --------------------------------------------------------------------

    @callback
    def _track_entity(self) -> None:
        if self._untrack_entity is not None:
            self._untrack_entity()
        self._untrack_entity = async_track_entity_registry_updated_event(
            self.hass, self.entity_id, self._on_entity_registry
        )

    @callback
    def _on_entity_registry(self, event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        data = event.data
        if data["action"] == "remove":
            self._raise_missing()
        elif data["action"] == "update" and "old_entity_id" in data:
            # Renamed: followed (and stored, so that the next start uses the new id).
            LOGGER.info(
                "Camera %s: its source %s is now %s", self.camera_id, self.entity_id, data["entity_id"]
            )
            self.entity_id = data["entity_id"]
            self.hass.config_entries.async_update_entry(
                self.entry, data={**self.entry.data, CONF_SOURCE_ENTITY: self.entity_id}
            )
            self._track_entity()

    @callback
    def _raise_missing(self) -> None:
        async_raise_issue(
            self.hass,
            self.entry.entry_id,
            ISSUE_SOURCE_MISSING,
            self.name,
            entity_id=self.entity_id,
            camera_id=self.camera_id,
        )

    # ---- fetching -----------------------------------------------------------------------------

    def _backoff(self) -> float:
        """The pause after `consecutive_failures` failures: the interval doubled each time."""
        doublings: int = min(self.consecutive_failures, 16)
        return min(SOURCE_BACKOFF_MAX, self.interval * (1 << doublings))

    async def _sleep(self, seconds: float) -> None:
        """Sleep, or less when woken (a command, a new rate, stop)."""
        self._wake.clear()
        if seconds <= 0:
            return
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    async def _run(self) -> None:
        await self._sleep(STREAM_STATE_WAIT)  # our retained stream state comes back meanwhile
        if self._stopping:
            return
        self._settled = True
        if mqtt.is_connected(self.hass) and not self.forgotten:
            await self._publish_stream_state()
        loop = asyncio.get_running_loop()
        while not self._stopping:
            if self.forgotten or not self.streaming or not mqtt.is_connected(self.hass):
                self.counters["paused"] += 1
                self._wake.clear()
                await self._wake.wait()
                self._since_frame = time.monotonic()  # a pause is no failure of the source
                continue
            started = loop.time()
            ok = await self._fetch_and_publish()
            if self._stopping:
                break
            await self._sleep(self.interval - (loop.time() - started) if ok else self._backoff())

    @callback
    def _fail(self, reason: str, message: str, *args: Any) -> None:
        self.consecutive_failures += 1
        self.last_error = reason
        self.failures.refuse(reason, message, *args)

    async def _fetch_and_publish(self) -> bool:
        """One still fetched and published; False (counted) when it failed."""
        ok = await self._fetch_and_publish_once()
        if not ok and self.online and time.monotonic() - self._since_frame > OFFLINE_AFTER:
            LOGGER.warning(
                "Camera %s: no picture from %s for %.0f s: offline",
                self.camera_id,
                self.entity_id,
                OFFLINE_AFTER,
            )
            await self._set_online(False)
        return ok

    async def _fetch_and_publish_once(self) -> bool:
        state = self.hass.states.get(self.entity_id)
        if state is None:
            self._fail("missing", "the camera entity %s does not exist", self.entity_id)
            now = time.monotonic()
            self._missing_since = self._missing_since or now
            if now - self._missing_since >= MISSING_ISSUE_DELAY:
                self._raise_missing()
            return False
        self._missing_since = None
        if state.state == STATE_UNAVAILABLE:
            self._fail("unavailable", "the camera entity %s is unavailable", self.entity_id)
            return False
        jpeg = await self._fetch()
        if jpeg is None or self._stopping:
            return False
        if self.forgotten or not self.streaming:
            return True  # switched off (or forgotten) while the picture came: not sent
        if (size := jpeg_size(jpeg)) is not None and size != self.resolution:
            self.resolution = size
            await self._publish_announce()
        if not await self._publish(self.topics.frame, jpeg, 0, False):
            self.consecutive_failures += 1
            self.last_error = "publish"
            return False
        self.counters["published"] += 1
        self.consecutive_failures = 0
        self.last_frame_at = time.time()
        self._since_frame = time.monotonic()
        async_clear_issue(self.hass, self.entry.entry_id, ISSUE_SOURCE_MISSING)
        await self._set_online(True)
        return True

    async def _fetch(self) -> bytes | None:
        """The still as a JPEG that listen_frame takes, None (counted) when there is none."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.fetching += 1
        self.max_fetching = max(self.max_fetching, self.fetching)
        try:
            image = await async_get_image(self.hass, self.entity_id, timeout=SOURCE_FETCH_TIMEOUT)
        except HomeAssistantError as err:
            if self._stopping:  # cancelled by the unload (the camera component turns it into this)
                return None
            # The camera component says "Unable to get image" for a timeout and for no picture.
            if loop.time() - started >= SOURCE_FETCH_TIMEOUT * 0.95:
                self._fail("timeout", "no picture from %s within %s s", self.entity_id, SOURCE_FETCH_TIMEOUT)
            else:
                self._fail("error", "no picture from %s: %s", self.entity_id, err)
            return None
        finally:
            self.fetching -= 1
        self.counters["fetched"] += 1
        data = image.content
        if data[:2] == JPEG_MAGIC and len(data) <= MAX_SOURCE_FRAME_BYTES:
            return data
        try:
            data = await self.hass.async_add_executor_job(reencode, data)
        except ValueError as err:
            self._fail("not_an_image", "the picture of %s is refused: %s", self.entity_id, err)
            return None
        self.counters["reencoded"] += 1
        return data

    # ---- diagnostics --------------------------------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        """What the source did (diagnostics.py)."""
        return {
            "entity_id": self.entity_id,
            "fps": self.fps,
            "streaming": self.streaming,
            "forgotten": self.forgotten,
            "online": self.online,
            "resolution": list(self.resolution) if self.resolution else None,
            "last_frame_at": self.last_frame_at,
            "consecutive_failures": self.consecutive_failures,
            "last_error": self.last_error,
            "counters": dict(sorted(self.counters.items())),
            "failures": dict(sorted(self.failures.counts.items())),
            "max_concurrent_fetches": self.max_fetching,
        }


def count_sources(hass: HomeAssistant) -> int:
    """How many entries of this integration publish a Home Assistant camera (loaded or not)."""
    return sum(1 for e in hass.config_entries.async_entries(DOMAIN) if e.data.get(CONF_SOURCE_ENTITY))
