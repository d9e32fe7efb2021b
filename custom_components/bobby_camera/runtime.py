"""What a loaded camera entry knows and does: its MQTT subscriptions, the announce it trusts, the
ROI sets it pushes. The service's health is in health.py, the repair issues in repairs.py."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from .const import (
    CONF_BASE_TOPIC,
    CONF_CAMERA_ID,
    CONF_ORIGIN,
    CONF_TOKEN,
    LOGGER,
    MODE_DUMB,
    MODE_SMART,
    OFFLINE,
    ONLINE,
    OPT_DETECTION,
    OPT_ROIS,
    OPT_VERSION,
    RETAINED_WAIT,
    Topics,
    valid_instance,
)
from .health import ServiceHealth, now
from .repairs import (
    ISSUE_ORIGIN_CHANGED,
    ISSUE_ROIS_REFUSED,
    ISSUE_TURNED_SMART,
    async_clear_issue,
    async_raise_issue,
)
from .rois import build_payload, normalise_detection, normalise_rois, stored_set
from .untrusted import Refusals, UntrustedJSONError, read_object

type BobbyConfigEntry = ConfigEntry[BobbyRuntimeData]

URL_KEYS = ("stream_url", "snapshot_url")


def url_origin(url: Any) -> str | None:
    """`scheme://host:port` of an http(s) URL (the port always written), None when it is not one."""
    if not isinstance(url, str) or len(url) > 2048:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("http", "https") or not host:
        return None
    if port is None:
        port = 443 if scheme == "https" else 80
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def announced_origin(announce: dict[str, Any] | None) -> str | None:
    """The origin of the HTTP server an announce points at (its stream, else its snapshot URL)."""
    for key in URL_KEYS:
        if (origin := url_origin((announce or {}).get(key))) is not None:
            return origin
    return None


class BobbyRuntimeData:
    """One camera: announce, availability, acknowledgements, the ROI set it pushes, its health."""

    def __init__(self, hass: HomeAssistant, entry: BobbyConfigEntry) -> None:
        """Set up the state; nothing is subscribed before async_start."""
        self.hass = hass
        self.entry = entry
        self.camera_id: str = entry.data[CONF_CAMERA_ID]
        self.base_topic: str = entry.data[CONF_BASE_TOPIC]
        self.token: str | None = entry.data.get(CONF_TOKEN) or None
        # The camera's HTTP server as the user accepted it when adding (or reconfiguring) the
        # camera: the token is only ever sent there, whatever a later announce says.
        self.origin: str | None = entry.data.get(CONF_ORIGIN) or None
        self.topics = Topics(self.base_topic, self.camera_id)
        self.announce: dict[str, Any] | None = None
        # The announced URLs on the accepted origin (those of the last announce that had them).
        self.urls: dict[str, str] = {}
        self.camera_online: bool | None = None
        self.camera_online_since: float | None = None
        self.last_ack: dict[str, Any] | None = None
        self.retained_set: dict[str, Any] | None = None
        self.detection_state: dict[str, Any] | None = None
        # Refused messages, frames and HTTP reads, by reason (shown in diagnostics).
        self.refusals = Refusals(f"Camera {self.camera_id}")
        self.health = ServiceHealth(self)
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._retained_check: CALLBACK_TYPE | None = None
        self._retained_checked = False

    # ---- life cycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Subscribe to the camera's topics, start the health check and the retained-set check."""
        t = self.topics
        subscriptions: list[tuple[str, Callable[[mqtt.ReceiveMessage], None], int]] = [
            (t.announce, self._on_announce, 1),
            (t.availability, self._on_availability, 1),
            (t.service_availability, self._on_service_availability, 1),
            (t.stats, self._on_stats, 0),
            (t.rois, self._on_rois, 1),
            (t.rois_applied, self._on_applied, 1),
            (t.detection_set, self._on_detection_set, 1),
            (t.detection_state, self._on_detection_state, 1),
        ]
        for topic, handler, qos in subscriptions:
            self._unsubs.append(await mqtt.async_subscribe(self.hass, topic, handler, qos))
        # Retained copies come only once HA's client is connected and has subscribed: the check
        # runs RETAINED_WAIT after the (re)connection, not merely after start-up.
        self._unsubs.append(mqtt.async_subscribe_connection_status(self.hass, self._on_connection))
        if mqtt.is_connected(self.hass):
            self._schedule_retained_check()
        self._unsubs.append(self.health.async_start())

    @callback
    def _on_connection(self, connected: bool) -> None:
        if connected and not self._retained_checked:
            self._schedule_retained_check()

    @callback
    def _schedule_retained_check(self) -> None:
        if self._retained_check:
            self._retained_check()
        self._retained_check = async_call_later(
            self.hass,
            RETAINED_WAIT,
            HassJob(self._async_check_retained, "bobby_camera retained ROI set", cancel_on_shutdown=True),
        )

    @callback
    def async_stop(self) -> None:
        """Unsubscribe and cancel every timer (unload and reload leave nothing behind)."""
        if self._retained_check:
            self._retained_check()
            self._retained_check = None
        while self._unsubs:
            self._unsubs.pop()()
        self._listeners.clear()

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update` whenever something an entity shows has changed."""
        self._listeners.append(update)

        @callback
        def remove() -> None:
            if update in self._listeners:
                self._listeners.remove(update)

        return remove

    @callback
    def notify(self) -> None:
        """Tell the entities that something they show has changed."""
        for update in list(self._listeners):
            update()

    @property
    def refused(self) -> Counter[str]:
        """Refusals by reason (diagnostics)."""
        return self.refusals.counts

    @callback
    def count_refusal(self, reason: str, message: str, *args: Any) -> None:
        """Count something refused and log it, at most once a minute per reason."""
        self.refusals.refuse(reason, message, *args)

    @callback
    def _read(self, msg: mqtt.ReceiveMessage, kind: str) -> dict[str, Any] | None:
        """A message's JSON object through the one reader; a bad one is counted as `<kind>_malformed`.

        An empty payload (a retained message cleared) is no message: None, not counted."""
        if not msg.payload:
            return None
        try:
            return read_object(msg.payload)
        except UntrustedJSONError as err:
            self.count_refusal(f"{kind}_malformed", "ignoring a malformed %s on %s: %s", kind, msg.topic, err)
            return None

    # ---- health, for the entities and diagnostics ---------------------------------------------

    @property
    def healthy(self) -> bool:
        """The "Detection service" sensor's state."""
        return self.health.healthy

    # ---- what the camera says ---------------------------------------------------------------

    @property
    def mode(self) -> str:
        """`dumb` or `smart`, from the announce (a camera that has not announced counts as dumb)."""
        mode = (self.announce or {}).get("mode")
        return MODE_SMART if mode == MODE_SMART else MODE_DUMB

    @property
    def name(self) -> str:
        """The camera's name from the announce, else the entry's title."""
        name = (self.announce or {}).get("name")
        return name[:100] if isinstance(name, str) and name.strip() else self.entry.title

    def url(self, key: str) -> str | None:
        """The announced stream or snapshot URL, when it is on the accepted origin."""
        return self.urls.get(key)

    @callback
    def _on_announce(self, msg: mqtt.ReceiveMessage) -> None:
        if (announce := self._read(msg, "announce")) is None:
            return
        was_smart = self.mode == MODE_SMART
        self.announce = announce
        self._check_origin(announce)
        if self.mode == MODE_SMART and not was_smart:
            self._check_turned_smart()
        elif self.mode != MODE_SMART:
            async_clear_issue(self.hass, self.entry.entry_id, ISSUE_TURNED_SMART)
        self.notify()
        self.health.evaluate()

    @callback
    def _check_origin(self, announce: dict[str, Any]) -> None:
        """Follow the announced URLs only on the accepted origin; report any other one."""
        foreign: str | None = None
        accepted: dict[str, str] = {}
        for key in URL_KEYS:
            # Anything but an http(s) URL is no server HA could send the token to: ignored.
            if (origin := url_origin(value := announce.get(key))) is None:
                continue
            if origin == self.origin:
                accepted[key] = str(value).strip()
            else:
                foreign = foreign or origin
        if foreign is not None and self.origin is None and self.mode != MODE_SMART:
            # A dumb camera added without an HTTP server: its URLs are not used (frames come
            # over MQTT), so there is nothing to report until it says it is smart.
            self.urls = {}
            return
        if foreign is not None:
            # The URLs accepted before stay in use; the token never goes to the new origin.
            self.count_refusal(
                "announce_origin",
                "the announce points at %s, not at the accepted HTTP origin %s: not followed",
                foreign,
                self.origin,
            )
            # Fixable: its fix flow (repairs.py) makes `foreign` the accepted origin once the user
            # confirms it.
            async_raise_issue(
                self.hass,
                self.entry.entry_id,
                ISSUE_ORIGIN_CHANGED,
                self.name,
                data={"entry_id": self.entry.entry_id, "origin": foreign},
                asked=foreign,
                accepted=self.origin or "none",
                camera_id=self.camera_id,
            )
            return
        async_clear_issue(self.hass, self.entry.entry_id, ISSUE_ORIGIN_CHANGED)
        self.urls = accepted

    @callback
    def _check_turned_smart(self) -> None:
        """An announce said smart while a listen_frame detects for the camera: say so."""
        if not self.health.served_by_listen_frame:
            return
        service = str((self.health.stats or {}).get("service"))
        LOGGER.warning(
            "Camera %s now announces itself as smart, but %s detects for it: it will stop doing so",
            self.camera_id,
            service,
        )
        async_raise_issue(
            self.hass,
            self.entry.entry_id,
            ISSUE_TURNED_SMART,
            self.name,
            service=service,
            camera_id=self.camera_id,
            base_topic=self.base_topic,
        )

    @callback
    def _on_availability(self, msg: mqtt.ReceiveMessage) -> None:
        online = msg.payload == ONLINE
        if online and not self.camera_online:
            self.camera_online_since = now()
        self.camera_online = online
        self.notify()
        self.health.evaluate()

    @callback
    def _on_service_availability(self, msg: mqtt.ReceiveMessage) -> None:
        # <base>/listen_frame/<instance>/availability
        instance = msg.topic.split("/")[-2]
        if msg.payload not in (ONLINE, OFFLINE) or not valid_instance(instance):
            return
        self.health.on_service_availability(instance, msg.payload == ONLINE)

    @callback
    def _on_stats(self, msg: mqtt.ReceiveMessage) -> None:
        if (stats := self._read(msg, "stats")) is None:
            return
        self.health.on_stats(stats)
        service = stats.get("service")
        if self.mode == MODE_SMART and isinstance(service, str) and not service.startswith("listen_frame/"):
            # The camera detects by itself now: it really is smart.
            async_clear_issue(self.hass, self.entry.entry_id, ISSUE_TURNED_SMART)

    @callback
    def _on_rois(self, msg: mqtt.ReceiveMessage) -> None:
        self.retained_set = self._read(msg, "rois") if msg.payload else None

    @callback
    def _on_applied(self, msg: mqtt.ReceiveMessage) -> None:
        if (ack := self._read(msg, "ack")) is None:
            return
        self.last_ack = ack
        version = ack.get("version")
        if ack.get("ok") is False:
            LOGGER.warning(
                "%s refused ROI set version %s of camera %s: %s",
                ack.get("service"),
                version,
                self.camera_id,
                ack.get("error"),
            )
            async_raise_issue(
                self.hass,
                self.entry.entry_id,
                ISSUE_ROIS_REFUSED,
                self.name,
                service=str(ack.get("service"))[:100],
                version=str(version)[:20],
                error=str(ack.get("error"))[:300],
            )
        elif ack.get("ok") is True:
            async_clear_issue(self.hass, self.entry.entry_id, ISSUE_ROIS_REFUSED)
        self.health.on_ack(version)

    @callback
    def _on_detection_set(self, msg: mqtt.ReceiveMessage) -> None:
        # Commands come from HA's discovery switch or from anyone; each one expects an answer.
        self.health.on_command(str(msg.payload))

    @callback
    def _on_detection_state(self, msg: mqtt.ReceiveMessage) -> None:
        # A bare ON/OFF is a state too (the switch's retained state of older agents).
        try:
            self.detection_state = read_object(msg.payload)
        except UntrustedJSONError:
            self.detection_state = {"state": str(msg.payload)[:64]}
        self.health.on_command_answered()

    # ---- ROI sets -----------------------------------------------------------------------------

    @property
    def next_version(self) -> int:
        """A version above every one seen: stored, retained on the broker, acknowledged."""
        seen = [int(self.entry.options.get(OPT_VERSION, 0))]
        for message in (self.retained_set, self.last_ack):
            for key in ("version", "active_version"):
                value = (message or {}).get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    seen.append(value)
        return max(seen) + 1

    def prepare_set(self, rois: list[dict[str, Any]], detection: dict[str, Any] | None) -> dict[str, Any]:
        """Validated options for a new whole ROI set (raises RoiError)."""
        return {
            OPT_VERSION: self.next_version,
            OPT_ROIS: normalise_rois(rois),
            OPT_DETECTION: normalise_detection(detection),
        }

    async def async_publish_set(self, options: dict[str, Any]) -> None:
        """Publish a stored set, retained, and wait in the background for its acknowledgement."""
        version, rois, detection = stored_set(options)
        payload = build_payload(version, rois, detection)
        await mqtt.async_publish(
            self.hass, self.topics.rois, json.dumps(payload, separators=(",", ":")), 1, True
        )
        self.health.on_set_published(version)
        LOGGER.debug("Published ROI set version %s for camera %s", version, self.camera_id)

    async def async_save_set(self, rois: list[dict[str, Any]], detection: dict[str, Any] | None) -> int:
        """Validate, store in the entry, publish (the service's path); returns the version."""
        options = self.prepare_set(rois, detection)
        self.hass.config_entries.async_update_entry(self.entry, options=options)
        await self.async_publish_set(options)
        return int(options[OPT_VERSION])

    async def _async_check_retained(self, _now_dt: datetime) -> None:
        """Republish the stored set when the broker's retained copy is missing or older."""
        self._retained_check = None
        self._retained_checked = True
        stored_version = int(self.entry.options.get(OPT_VERSION, 0))
        if not stored_version:
            return
        retained = (self.retained_set or {}).get("version")
        if isinstance(retained, int) and retained >= stored_version:
            if retained > stored_version:
                LOGGER.info(
                    "The broker holds ROI set version %s for camera %s, newer than the stored %s;"
                    " the next save will go above it",
                    retained,
                    self.camera_id,
                    stored_version,
                )
            return
        LOGGER.info(
            "Republishing ROI set version %s for camera %s (retained copy: %s)",
            stored_version,
            self.camera_id,
            retained,
        )
        await self.async_publish_set(dict(self.entry.options))
