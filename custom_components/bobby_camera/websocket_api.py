"""Websocket commands of the dashboard card (custom:bobby-camera-card).

- `bobby_camera/get_config`: the camera's ROI set, the entities the card shows, the last ack.
- `bobby_camera/subscribe_detections`: the latest boxes of `<base>/<cam>/detections` (received
  through HA's MQTT integration: the browser never talks to the broker), the acknowledgements
  of `<base>/<cam>/rois/applied`, and the card's entities again whenever one of them appears,
  goes or is renamed (a new region's person sensor is registered when its discovery arrives,
  after the save: the card fills the region from that moment on).
- `bobby_camera/save_rois` (admins): the whole set through the one save path of the options flow
  and the `set_rois` action (BobbyRuntimeData.async_save_set: validate, store, publish, wait for
  the acknowledgement), answered with the service's acknowledgement when it comes in time.

Every command names the camera by the integration's camera entity, as the card's config does.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import voluptuous as vol
from homeassistant.components import mqtt
from homeassistant.components.websocket_api import async_register_command

# The decorators and the connection from their own modules: the package does not re-export them
# explicitly (mypy --strict).
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import async_response, require_admin, websocket_command
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_call_later

from .const import DOMAIN, ROI_ID_RE, SAVE_ACK_WAIT
from .rois import RoiError, stored_set
from .runtime import BobbyConfigEntry, BobbyRuntimeData
from .untrusted import UntrustedJSONError, read_object

# A detections message is one small JSON object per frame; anything bigger is not one.
MAX_DETECTIONS_BYTES = 64 * 1024
MAX_OBJECTS = 100
MAX_LABEL_CHARS = 64
# Detections come at the camera's analysed rate; the card needs no more than this many a second.
MIN_FORWARD_INTERVAL = 0.1
# How long save_rois waits for the detection service's acknowledgement before answering without it
# (the ack still reaches the card later through subscribe_detections).
ACK_WAIT = SAVE_ACK_WAIT
# Malformed detections are counted under this reason with the camera's other refusals.
BAD_DETECTIONS = "detections_malformed"

ERR_NOT_FOUND = "not_found"
ERR_NOT_LOADED = "not_loaded"
ERR_INVALID_ROIS = "invalid_rois"
ERR_PUBLISH_FAILED = "publish_failed"


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register the card's commands (once, from async_setup)."""
    async_register_command(hass, ws_get_config)
    async_register_command(hass, ws_subscribe_detections)
    async_register_command(hass, ws_save_rois)


def _runtime(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> BobbyRuntimeData | None:
    """The loaded camera behind a camera entity id; sends the error and returns None otherwise."""
    entity_id: str = msg["entity_id"]
    entity = er.async_get(hass).async_get(entity_id)
    entry: BobbyConfigEntry | None = None
    if entity is not None and entity.platform == DOMAIN and entity.config_entry_id:
        entry = hass.config_entries.async_get_entry(entity.config_entry_id)
    if entry is None or entry.domain != DOMAIN:
        connection.send_error(msg["id"], ERR_NOT_FOUND, f"{entity_id} is not a Bobby camera")
        return None
    if entry.state is not ConfigEntryState.LOADED:
        connection.send_error(msg["id"], ERR_NOT_LOADED, f"The camera {entry.title} is not loaded")
        return None
    return entry.runtime_data


def _mqtt_entity(hass: HomeAssistant, domain: str, camera_id: str, object_id: str) -> str | None:
    """The entity id of a discovery entity (unique id `bobby_<cam>_<object_id>`, docs/mqtt.md)."""
    return er.async_get(hass).async_get_entity_id(domain, "mqtt", f"bobby_{camera_id}_{object_id}")


def _card_entities(hass: HomeAssistant, runtime: BobbyRuntimeData) -> dict[str, Any]:
    """The entities the card shows: its camera, the person sensors (one per stored region), the count."""
    cam = runtime.camera_id
    _version, rois, _detection = stored_set(runtime.entry.options)
    return {
        "camera_entity": er.async_get(hass).async_get_entity_id("camera", DOMAIN, f"bobby_{cam}_live"),
        "person_entity": _mqtt_entity(hass, "binary_sensor", cam, "person"),
        "count_entity": _mqtt_entity(hass, "sensor", cam, "person_count"),
        "region_entities": {
            roi["id"]: entity_id
            for roi in rois
            if (entity_id := _mqtt_entity(hass, "binary_sensor", cam, f"person_{roi['id']}"))
        },
    }


def _resolution(runtime: BobbyRuntimeData) -> list[int] | None:
    announce = runtime.data.announce
    return list(announce.resolution) if announce is not None and announce.resolution else None


@websocket_command({vol.Required("type"): "bobby_camera/get_config", vol.Required("entity_id"): cv.entity_id})
@callback
def ws_get_config(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """The ROI set in force (as stored by HA, the source of truth) and the card's entities."""
    if (runtime := _runtime(hass, connection, msg)) is None:
        return
    cam = runtime.camera_id
    version, rois, detection = stored_set(runtime.entry.options)
    connection.send_result(
        msg["id"],
        {
            "entry_id": runtime.entry.entry_id,
            "camera_id": cam,
            "name": runtime.name,
            **_card_entities(hass, runtime),
            "version": version,
            "rois": rois,
            "detection": detection,
            "resolution": _resolution(runtime),
            "last_ack": dict(ack.raw) if (ack := runtime.data.ack) is not None else None,
            "bad_detections": runtime.refused[BAD_DETECTIONS],
        },
    )


# ---- detections --------------------------------------------------------------------------------


def _unit(value: Any) -> float | None:
    """A finite number in 0..1, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value) if 0 <= value <= 1 else None


def _object(raw: Any) -> dict[str, Any] | None:
    """One detected object as the card gets it, or None when it is not one."""
    if not isinstance(raw, dict):
        return None
    label, box, rois = raw.get("label"), raw.get("box"), raw.get("rois", [])
    score = _unit(raw.get("score"))
    if not isinstance(label, str) or not 0 < len(label) <= MAX_LABEL_CHARS or score is None:
        return None
    if not isinstance(box, list) or len(box) != 4:
        return None
    coords = [_unit(v) for v in box]
    if any(v is None for v in coords):
        return None
    x0, y0, x1, y1 = (float(v or 0.0) for v in coords)
    if x0 > x1 or y0 > y1:
        return None
    if not isinstance(rois, list) or not all(isinstance(r, str) and ROI_ID_RE.fullmatch(r) for r in rois):
        return None
    return {"label": label, "score": round(score, 4), "box": [x0, y0, x1, y1], "rois": rois[:64]}


def parse_detections(payload: str | bytes | bytearray) -> dict[str, Any] | None:
    """A `<base>/<cam>/detections` message (docs/mqtt.md) reduced to what the card draws.

    None when the message is not one: too big, not JSON, not an object, persons not a count,
    objects not a list of valid objects (bounded before parsing: it comes from the network).
    """
    try:
        data = read_object(payload, max_bytes=MAX_DETECTIONS_BYTES)
    except UntrustedJSONError:
        return None
    objects_raw = data.get("objects", [])
    persons = data.get("persons", 0)
    if not isinstance(objects_raw, list) or len(objects_raw) > MAX_OBJECTS:
        return None
    if isinstance(persons, bool) or not isinstance(persons, int) or persons < 0:
        return None
    objects = [_object(o) for o in objects_raw]
    if any(o is None for o in objects):
        return None
    size = data.get("size")
    valid_size = (
        isinstance(size, list)
        and len(size) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 10000 for v in size)
    )
    analysed_at = data.get("analysed_at")
    rois_version = data.get("rois_version")
    return {
        "persons": persons,
        "objects": objects,
        "size": size if valid_size else None,
        "analysed_at": float(analysed_at)
        if isinstance(analysed_at, (int, float)) and not isinstance(analysed_at, bool)
        else None,
        "rois_version": rois_version
        if isinstance(rois_version, int) and not isinstance(rois_version, bool)
        else None,
    }


def _ack(payload: str | bytes | bytearray) -> dict[str, Any] | None:
    """A `rois/applied` acknowledgement, or None when it is not one (the camera's runtime counts
    malformed ones: it reads the same topic)."""
    try:
        ack = read_object(payload, max_bytes=MAX_DETECTIONS_BYTES)
    except UntrustedJSONError:
        return None
    if not isinstance(ack.get("version"), int):
        return None
    return ack


class _Forwarder:
    """Sends a subscriber the latest detections, at most one message per MIN_FORWARD_INTERVAL.

    A message arriving sooner is held and sent when the interval is over (the newest wins), so the
    last state (for example "no one any more") always reaches the card.
    """

    def __init__(self, hass: HomeAssistant, send: Callable[[dict[str, Any]], None]) -> None:
        self.hass = hass
        self.send = send
        self.sent_at = -math.inf
        self.pending: dict[str, Any] | None = None
        self.timer: CALLBACK_TYPE | None = None

    @callback
    def push(self, detections: dict[str, Any]) -> None:
        now = time.monotonic()
        if self.timer is None and now - self.sent_at >= MIN_FORWARD_INTERVAL:
            self.sent_at = now
            self.send({"detections": detections})
            return
        self.pending = detections
        if self.timer is None:
            delay = max(MIN_FORWARD_INTERVAL - (now - self.sent_at), 0.0)
            self.timer = async_call_later(self.hass, delay, HassJob(self._flush, cancel_on_shutdown=True))

    @callback
    def _flush(self, _now: datetime) -> None:
        self.timer = None
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.sent_at = time.monotonic()
            self.send({"detections": pending})

    @callback
    def close(self) -> None:
        if self.timer is not None:
            self.timer()
            self.timer = None


@websocket_command(
    {vol.Required("type"): "bobby_camera/subscribe_detections", vol.Required("entity_id"): cv.entity_id}
)
@async_response
async def ws_subscribe_detections(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Events `{"detections": {...}}` per analysed frame, `{"ack": {...}}` per acknowledgement and
    `{"entities": {...}}` (get_config's entity fields) when the card's entities change."""
    if (runtime := _runtime(hass, connection, msg)) is None:
        return
    msg_id: int = msg["id"]
    cam = runtime.camera_id

    @callback
    def send(event: dict[str, Any]) -> None:
        connection.send_event(msg_id, event)

    forwarder = _Forwarder(hass, send)

    @callback
    def on_detections(message: mqtt.ReceiveMessage) -> None:
        if (detections := parse_detections(message.payload)) is None:
            runtime.count_refusal(
                BAD_DETECTIONS, "Ignoring a malformed detections message on %s", message.topic
            )
            return
        forwarder.push(detections)

    @callback
    def on_applied(message: mqtt.ReceiveMessage) -> None:
        if (ack := _ack(message.payload)) is not None:
            send({"ack": ack})

    entities = _card_entities(hass, runtime)

    @callback
    def on_registry(_event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        # Registry changes are rare (discovery, renames): the whole map again, sent when it differs.
        nonlocal entities
        if runtime.entry.state is not ConfigEntryState.LOADED:
            return
        now = _card_entities(hass, runtime)
        if now != entities:
            entities = now
            send({"entities": now})

    topics = runtime.topics
    unsubs = [
        await mqtt.async_subscribe(hass, f"{topics.base}/{cam}/detections", on_detections, 0),
        await mqtt.async_subscribe(hass, topics.rois_applied, on_applied, 1),
        hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, on_registry),
    ]

    @callback
    def unsubscribe() -> None:
        forwarder.close()
        while unsubs:
            unsubs.pop()()

    connection.subscriptions[msg_id] = unsubscribe
    connection.send_result(msg_id)


# ---- saving ------------------------------------------------------------------------------------


@require_admin
@websocket_command(
    {
        vol.Required("type"): "bobby_camera/save_rois",
        vol.Required("entity_id"): cv.entity_id,
        vol.Required("rois"): vol.All(cv.ensure_list, [dict]),
        vol.Optional("detection"): dict,
    }
)
@async_response
async def ws_save_rois(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Validate, store and publish the whole set; answer `{"version": N, "ack": {...} | None}`."""
    if (runtime := _runtime(hass, connection, msg)) is None:
        return
    try:
        # Detection settings not given keep their stored values (as in the set_rois action).
        saved = await runtime.async_save_set(msg["rois"], msg.get("detection"), ack_wait=ACK_WAIT)
    except RoiError as err:
        connection.send_error(
            msg["id"],
            ERR_INVALID_ROIS,
            str(err),
            translation_domain=DOMAIN,
            translation_key=err.key,
            translation_placeholders=err.placeholders,
        )
        return
    except HomeAssistantError as err:
        connection.send_error(msg["id"], ERR_PUBLISH_FAILED, str(err))
        return
    ack = dict(saved.ack.raw) if saved.ack is not None else None
    connection.send_result(msg["id"], {"version": saved.version, "ack": ack})
