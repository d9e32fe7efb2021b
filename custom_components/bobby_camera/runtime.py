"""What a loaded camera entry knows and does: its MQTT subscriptions, ROI sets and health."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import (
    ACK_TIMEOUT,
    CONF_BASE_TOPIC,
    CONF_CAMERA_ID,
    CONF_TOKEN,
    DEFAULT_STATS_INTERVAL,
    DOMAIN,
    HEALTH_CHECK_INTERVAL,
    LOGGER,
    MIN_STATS_TIMEOUT,
    MODE_DUMB,
    MODE_SMART,
    OFFLINE,
    ONLINE,
    OPT_DETECTION,
    OPT_ROIS,
    OPT_VERSION,
    RETAINED_WAIT,
    STARTUP_GRACE,
    STATS_MISSED_INTERVALS,
    Topics,
)
from .rois import build_payload, normalise_detection, normalise_rois, stored_set

type BobbyConfigEntry = ConfigEntry[BobbyRuntimeData]

# Problems of the detection service, each a repair issue translation key (strings.json "issues").
PROBLEM_OFFLINE = "service_offline"
PROBLEM_ROIS_NOT_ACKED = "rois_not_acknowledged"
PROBLEM_COMMAND_NOT_ACKED = "command_not_acknowledged"
PROBLEM_STATS_STOPPED = "stats_stopped"
ISSUE_ROIS_REFUSED = "rois_refused"


def _now() -> float:
    # dt_util rather than time.time(): HA's test clock (freezer) drives it as it drives timers.
    return dt_util.utcnow().timestamp()


def _json(payload: str | bytes | bytearray) -> dict[str, Any] | None:
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class BobbyRuntimeData:
    """One camera: announce, availability, stats, acknowledgements, the ROI set it pushes."""

    def __init__(self, hass: HomeAssistant, entry: BobbyConfigEntry) -> None:
        """Set up the state; nothing is subscribed before async_start."""
        self.hass = hass
        self.entry = entry
        self.camera_id: str = entry.data[CONF_CAMERA_ID]
        self.base_topic: str = entry.data[CONF_BASE_TOPIC]
        self.token: str | None = entry.data.get(CONF_TOKEN) or None
        self.topics = Topics(self.base_topic, self.camera_id)
        self.announce: dict[str, Any] | None = None
        self.camera_online: bool | None = None
        self.camera_online_since: float | None = None
        self.services: dict[str, bool] = {}
        self.stats: dict[str, Any] | None = None
        self.stats_at: float | None = None
        self.last_ack: dict[str, Any] | None = None
        self.retained_set: dict[str, Any] | None = None
        self.detection_state: dict[str, Any] | None = None
        self.pending_ack: tuple[int, float] | None = None
        self.pending_command: tuple[str, float] | None = None
        self.problem: str | None = None
        # What the entities last showed, to tell them only about changes.
        self._shown: tuple[str | None, bool] = (None, False)
        self.started_at = _now()
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
        self._unsubs.append(
            async_track_time_interval(
                self.hass,
                self._async_health_tick,
                timedelta(seconds=HEALTH_CHECK_INTERVAL),
                name="bobby_camera health",
                cancel_on_shutdown=True,
            )
        )

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
    def _notify(self) -> None:
        for update in list(self._listeners):
            update()

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
        return name if isinstance(name, str) and name else self.entry.title

    @callback
    def _on_announce(self, msg: mqtt.ReceiveMessage) -> None:
        announce = _json(msg.payload)
        if announce is None:
            if msg.payload:
                LOGGER.warning("Ignoring a malformed announce on %s", msg.topic)
            return
        self.announce = announce
        self._notify()

    @callback
    def _on_availability(self, msg: mqtt.ReceiveMessage) -> None:
        online = msg.payload == ONLINE
        if online and not self.camera_online:
            self.camera_online_since = _now()
        self.camera_online = online
        self._notify()
        self._evaluate()

    @callback
    def _on_service_availability(self, msg: mqtt.ReceiveMessage) -> None:
        # <base>/listen_frame/<instance>/availability
        instance = msg.topic.split("/")[-2]
        if msg.payload not in (ONLINE, OFFLINE):
            return
        self.services[f"listen_frame/{instance}"] = msg.payload == ONLINE
        self._evaluate()

    @callback
    def _on_stats(self, msg: mqtt.ReceiveMessage) -> None:
        if (stats := _json(msg.payload)) is None:
            return
        self.stats = stats
        self.stats_at = _now()
        self._evaluate()

    @callback
    def _on_rois(self, msg: mqtt.ReceiveMessage) -> None:
        self.retained_set = _json(msg.payload) if msg.payload else None

    @callback
    def _on_applied(self, msg: mqtt.ReceiveMessage) -> None:
        if (ack := _json(msg.payload)) is None:
            return
        self.last_ack = ack
        version = ack.get("version")
        if self.pending_ack and isinstance(version, int) and version >= self.pending_ack[0]:
            self.pending_ack = None
        issue_id = f"{ISSUE_ROIS_REFUSED}_{self.entry.entry_id}"
        if ack.get("ok") is False:
            LOGGER.warning(
                "%s refused ROI set version %s of camera %s: %s",
                ack.get("service"),
                version,
                self.camera_id,
                ack.get("error"),
            )
            self._raise_issue(
                issue_id,
                ISSUE_ROIS_REFUSED,
                service=str(ack.get("service")),
                version=str(version),
                error=str(ack.get("error")),
            )
        elif ack.get("ok") is True:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        self._evaluate()

    @callback
    def _on_detection_set(self, msg: mqtt.ReceiveMessage) -> None:
        # Commands come from HA's discovery switch or from anyone; each one expects an answer.
        self.pending_command = (str(msg.payload)[:64], _now() + ACK_TIMEOUT)

    @callback
    def _on_detection_state(self, msg: mqtt.ReceiveMessage) -> None:
        state = _json(msg.payload)
        self.detection_state = state if state is not None else {"state": msg.payload}
        self.pending_command = None
        self._evaluate()

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
        self.pending_ack = (version, _now() + ACK_TIMEOUT)
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

    # ---- health -------------------------------------------------------------------------------

    @property
    def service_name(self) -> str | None:
        """The service that serves this camera, as it names itself in stats and acks."""
        for message in (self.stats, self.last_ack, self.detection_state):
            if isinstance(name := (message or {}).get("service"), str):
                return name
        return None

    @property
    def service_online(self) -> bool | None:
        """Whether the detection service is online; None while nothing is known yet."""
        if self.mode == MODE_SMART:
            # A smart camera is its own detection service.
            return self.camera_online
        name = self.service_name
        if name in self.services:
            return self.services[name]
        if not self.services:
            return None
        return any(self.services.values())

    @property
    def stats_timeout(self) -> float:
        interval = (self.stats or {}).get("interval")
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval <= 0:
            interval = DEFAULT_STATS_INTERVAL
        return max(STATS_MISSED_INTERVALS * float(interval), MIN_STATS_TIMEOUT)

    def _find_problem(self, now: float) -> str | None:
        online = self.service_online
        if online is False or (online is None and now - self.started_at > STARTUP_GRACE):
            return PROBLEM_OFFLINE
        if self.pending_ack and now > self.pending_ack[1]:
            return PROBLEM_ROIS_NOT_ACKED
        if self.pending_command and now > self.pending_command[1]:
            return PROBLEM_COMMAND_NOT_ACKED
        # Stats come only while frames do: judge them only while the camera is online.
        if self.camera_online and self.camera_online_since is not None:
            since = max(self.stats_at or 0.0, self.camera_online_since, self.started_at)
            if now - since > self.stats_timeout:
                return PROBLEM_STATS_STOPPED
        return None

    @property
    def healthy(self) -> bool:
        """The connectivity sensor's state: online and answering."""
        return self.problem is None and self.service_online is True

    @callback
    def _async_health_tick(self, _now_dt: datetime) -> None:
        self._evaluate()

    @callback
    def _raise_issue(self, issue_id: str, translation_key: str, **placeholders: str) -> None:
        """A repair issue of this camera (a warning the user cannot fix from the issue itself)."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=translation_key,
            translation_placeholders={"camera": self.name, **placeholders},
        )

    @callback
    def _evaluate(self) -> None:
        """Recompute the problem; raise, update or clear the repair issue; tell the entities."""
        problem = self._find_problem(_now())
        changed = problem != self.problem
        self.problem = problem
        issue_id = f"service_problem_{self.entry.entry_id}"
        if problem is None:
            if changed:
                LOGGER.info("The detection service of camera %s answers again", self.camera_id)
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        elif changed:
            LOGGER.warning("Detection service of camera %s: %s", self.camera_id, problem)
            self._raise_issue(
                issue_id,
                problem,
                base_topic=self.base_topic,
                camera_id=self.camera_id,
                service=self.service_name or "listen_frame",
                timeout=str(int(ACK_TIMEOUT)),
                stats_timeout=str(int(self.stats_timeout)),
            )
        if (self.problem, self.healthy) != self._shown:
            self._shown = (self.problem, self.healthy)
            self._notify()
