"""What a loaded camera entry knows and does: its MQTT subscriptions, the announce it trusts, the
ROI sets it pushes. The service's health is in health.py, the repair issues in repairs.py."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later, async_track_time_interval

from .const import (
    CONF_BASE_TOPIC,
    CONF_CAMERA_ID,
    CONF_ORIGIN,
    CONF_TOKEN,
    HEALTH_CHECK_INTERVAL,
    LOGGER,
    MODE_SMART,
    OFFLINE,
    ONLINE,
    OPT_DETECTION,
    OPT_ROIS,
    OPT_VERSION,
    RETAINED_WAIT,
    SAVE_ACK_WAIT,
    Topics,
    valid_instance,
)
from .coordinator import (
    Ack,
    Announce,
    BobbyCoordinator,
    CameraState,
    DetectionState,
    RoiSetOnBroker,
    Stats,
    camera_name,
)
from .health import LISTEN_FRAME_PREFIX, ServiceHealth, now, served_by_listen_frame
from .repairs import (
    ISSUE_ORIGIN_CHANGED,
    ISSUE_ROIS_REFUSED,
    ISSUE_TURNED_SMART,
    async_clear_issue,
    async_raise_issue,
)
from .rois import build_payload, normalise_detection, normalise_rois, stored_set
from .untrusted import Refusals, UntrustedJSONError, read_object

if TYPE_CHECKING:
    from .ha_source import HaCameraSource

type BobbyConfigEntry = ConfigEntry[BobbyRuntimeData]


@dataclass(frozen=True, slots=True)
class SaveResult:
    """A saved ROI set: its version, and the service's acknowledgement when it came in time."""

    version: int
    ack: Ack | None


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


def announced_origin(announce: Mapping[str, Any] | None) -> str | None:
    """The origin of the HTTP server an announce points at (its stream, else its snapshot URL)."""
    for key in URL_KEYS:
        if (origin := url_origin((announce or {}).get(key))) is not None:
            return origin
    return None


class BobbyRuntimeData:
    """One camera's MQTT side: subscriptions, the announce it trusts, the ROI sets it pushes.

    What the camera and its service said is parsed into coordinator.py's dataclasses and pushed to
    the entities through `coordinator` (`async_set_updated_data`); nothing is kept here twice.
    """

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
        self.coordinator = BobbyCoordinator(hass, entry, self.camera_id)
        # Refused messages, frames and HTTP reads, by reason (shown in diagnostics).
        self.refusals = Refusals(f"Camera {self.camera_id}")
        self.health = ServiceHealth(hass, entry.entry_id, self.camera_id, self.base_topic)
        self._unsubs: list[CALLBACK_TYPE] = []
        self._retained_check: CALLBACK_TYPE | None = None
        self._retained_checked = False
        # Saves waiting for the acknowledgement of their version (async_save_set).
        self._ack_waiters: list[tuple[int, asyncio.Future[Ack | None]]] = []
        # A Home Assistant camera published as this camera (ha_source.py; __init__.py sets it).
        self.source: HaCameraSource | None = None

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
        for _version, answer in self._ack_waiters:
            if not answer.done():
                answer.set_result(None)  # unloaded: no acknowledgement will come here

    # ---- the state, pushed to the entities ----------------------------------------------------

    @property
    def data(self) -> CameraState:
        """What the camera and its service last said (the coordinator's data)."""
        return self.coordinator.data

    @callback
    def _push(self, **changes: Any) -> None:
        """Apply `changes` to the state, judge the health on it and push it to the entities when
        anything differs."""
        state = replace(self.data, **changes)
        state = replace(state, health=self.health.evaluate(state, self.name_for(state)))
        if state != self.data:
            self.coordinator.async_set_updated_data(state)

    @callback
    def _async_health_tick(self, _now_dt: datetime) -> None:
        """Timeouts run out with no message: judge the health again every HEALTH_CHECK_INTERVAL."""
        self._push()

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

    # ---- what the camera says ---------------------------------------------------------------

    @property
    def mode(self) -> str:
        """`dumb` or `smart`, from the announce (a camera that has not announced counts as dumb)."""
        return self.data.mode

    def name_for(self, state: CameraState) -> str:
        """The camera's name in `state`'s announce, else the entry's title."""
        return camera_name(state, self.entry.title)

    @property
    def name(self) -> str:
        """The camera's name from the announce, else the entry's title."""
        return self.name_for(self.data)

    def url(self, key: str) -> str | None:
        """The announced stream or snapshot URL, when it is on the accepted origin."""
        return self.data.urls.get(key)

    @callback
    def _on_announce(self, msg: mqtt.ReceiveMessage) -> None:
        if (raw := self._read(msg, "announce")) is None:
            return
        announce = Announce.parse(raw)
        was_smart = self.mode == MODE_SMART
        urls = self._check_origin(announce)
        if announce.mode == MODE_SMART and not was_smart:
            self._check_turned_smart(announce)
        elif announce.mode != MODE_SMART:
            async_clear_issue(self.hass, self.entry.entry_id, ISSUE_TURNED_SMART)
        self._push(announce=announce, urls=self.data.urls if urls is None else urls)

    @callback
    def _check_origin(self, announce: Announce) -> dict[str, str] | None:
        """Follow the announced URLs only on the accepted origin; report any other one. Returns the
        URLs to use from now on, None to keep those in use."""
        foreign: str | None = None
        accepted: dict[str, str] = {}
        for key in URL_KEYS:
            # Anything but an http(s) URL is no server HA could send the token to: ignored.
            if (origin := url_origin(value := announce.raw.get(key))) is None:
                continue
            if origin == self.origin:
                accepted[key] = str(value).strip()
            else:
                foreign = foreign or origin
        if foreign is not None and self.origin is None and announce.mode != MODE_SMART:
            # A dumb camera added without an HTTP server: its URLs are not used (frames come
            # over MQTT), so there is nothing to report until it says it is smart.
            return {}
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
                self.name_for(replace(self.data, announce=announce)),
                data={"entry_id": self.entry.entry_id, "origin": foreign},
                asked=foreign,
                accepted=self.origin or "none",
                camera_id=self.camera_id,
            )
            return None
        async_clear_issue(self.hass, self.entry.entry_id, ISSUE_ORIGIN_CHANGED)
        return accepted

    @callback
    def _check_turned_smart(self, announce: Announce) -> None:
        """An announce said smart while a listen_frame detects for the camera: say so."""
        state = self.data
        if not served_by_listen_frame(state, now()) or state.stats is None:
            return
        service = str(state.stats.service)
        LOGGER.warning(
            "Camera %s now announces itself as smart, but %s detects for it: it will stop doing so",
            self.camera_id,
            service,
        )
        async_raise_issue(
            self.hass,
            self.entry.entry_id,
            ISSUE_TURNED_SMART,
            self.name_for(replace(state, announce=announce)),
            service=service,
            camera_id=self.camera_id,
            base_topic=self.base_topic,
        )

    @callback
    def _on_availability(self, msg: mqtt.ReceiveMessage) -> None:
        online = msg.payload == ONLINE
        since = self.data.online_since
        if online and not self.data.online:
            since = now()
        self._push(online=online, online_since=since)

    @callback
    def _on_service_availability(self, msg: mqtt.ReceiveMessage) -> None:
        # <base>/listen_frame/<instance>/availability
        instance = msg.topic.split("/")[-2]
        if msg.payload not in (ONLINE, OFFLINE) or not valid_instance(instance):
            return
        self.health.on_service_availability(instance, msg.payload == ONLINE)
        self._push()

    @callback
    def _on_stats(self, msg: mqtt.ReceiveMessage) -> None:
        if (raw := self._read(msg, "stats")) is None:
            return
        stats = Stats.parse(raw)
        self._push(stats=stats, stats_at=now())
        if (
            self.mode == MODE_SMART
            and stats.service is not None
            and not stats.service.startswith(LISTEN_FRAME_PREFIX)
        ):
            # The camera detects by itself now: it really is smart.
            async_clear_issue(self.hass, self.entry.entry_id, ISSUE_TURNED_SMART)

    @callback
    def _on_rois(self, msg: mqtt.ReceiveMessage) -> None:
        raw = self._read(msg, "rois") if msg.payload else None
        self._push(rois_on_broker=RoiSetOnBroker.parse(raw) if raw is not None else None)

    @callback
    def _on_applied(self, msg: mqtt.ReceiveMessage) -> None:
        if (raw := self._read(msg, "ack")) is None:
            return
        ack = Ack.parse(raw)
        if ack.ok is False:
            LOGGER.warning(
                "%s refused ROI set version %s of camera %s: %s",
                ack.service,
                ack.version,
                self.camera_id,
                ack.error,
            )
            async_raise_issue(
                self.hass,
                self.entry.entry_id,
                ISSUE_ROIS_REFUSED,
                self.name,
                service=str(ack.service),
                version=str(raw.get("version"))[:20],
                error=str(ack.error),
            )
        elif ack.ok is True:
            async_clear_issue(self.hass, self.entry.entry_id, ISSUE_ROIS_REFUSED)
        self.health.on_ack(ack.version)
        self._push(ack=ack)
        for version, answer in self._ack_waiters:
            if ack.version is not None and ack.version >= version and not answer.done():
                answer.set_result(ack)

    @callback
    def _on_detection_set(self, msg: mqtt.ReceiveMessage) -> None:
        # Commands come from HA's discovery switch or from anyone; each one expects an answer.
        self.health.on_command(str(msg.payload))

    @callback
    def _on_detection_state(self, msg: mqtt.ReceiveMessage) -> None:
        # A bare ON/OFF is a state too (the switch's retained state of older agents).
        try:
            raw = read_object(msg.payload)
        except UntrustedJSONError:
            raw = {"state": str(msg.payload)[:64]}
        self.health.on_command_answered()
        self._push(detection=DetectionState.parse(raw))

    # ---- ROI sets -----------------------------------------------------------------------------

    @property
    def next_version(self) -> int:
        """A version above every one seen: stored, retained on the broker, acknowledged."""
        seen = [int(self.entry.options.get(OPT_VERSION, 0))]
        state = self.data
        for value in (
            state.rois_on_broker.version if state.rois_on_broker else None,
            state.ack.version if state.ack else None,
            state.ack.active_version if state.ack else None,
        ):
            if value is not None:
                seen.append(value)
        return max(seen) + 1

    def prepare_set(self, rois: list[dict[str, Any]], detection: dict[str, Any] | None) -> dict[str, Any]:
        """Validated options for a new whole ROI set (raises RoiError); detection settings not
        given keep their stored values, the regions are replaced whole."""
        return {
            OPT_VERSION: self.next_version,
            OPT_ROIS: normalise_rois(rois),
            OPT_DETECTION: normalise_detection(
                {**self.entry.options.get(OPT_DETECTION, {}), **(detection or {})}
            ),
        }

    async def async_publish_set(self, options: dict[str, Any]) -> None:
        """Publish a stored set, retained; the health check then expects its acknowledgement."""
        version, rois, detection = stored_set(options)
        payload = build_payload(version, rois, detection)
        # Expected before it is sent: a fast service may answer before the publish call returns.
        self.health.on_set_published(version)
        try:
            await mqtt.async_publish(
                self.hass, self.topics.rois, json.dumps(payload, separators=(",", ":")), 1, True
            )
        except HomeAssistantError:
            self.health.on_publish_failed(version)
            raise
        self._push()
        LOGGER.debug("Published ROI set version %s for camera %s", version, self.camera_id)

    async def async_save_set(
        self,
        rois: list[dict[str, Any]],
        detection: dict[str, Any] | None,
        *,
        ack_wait: float | None = None,
    ) -> SaveResult:
        """The one save path of a whole ROI set (the ROI editor, the card's websocket command and
        the set_rois action): validate (RoiError), store in the entry (HA is the source of truth),
        publish (HomeAssistantError), wait up to `ack_wait` seconds (SAVE_ACK_WAIT by default) for
        the service's acknowledgement of this version or a later one.

        A set stored but not published (MQTT away) is published by the retained-set check once
        HA's MQTT client connects again.
        """
        options = self.prepare_set(rois, detection)
        version = int(options[OPT_VERSION])
        self.hass.config_entries.async_update_entry(self.entry, options=options)
        # Listening before publishing: a fast service may answer before the publish call returns.
        answer: asyncio.Future[Ack | None] = self.hass.loop.create_future()
        waiter = (version, answer)
        self._ack_waiters.append(waiter)
        try:
            try:
                await self.async_publish_set(options)
            except HomeAssistantError:
                self._retained_checked = False
                raise
            wait = SAVE_ACK_WAIT if ack_wait is None else ack_wait
            ack = answer.result() if answer.done() else None
            if ack is None and wait > 0:
                try:
                    async with asyncio.timeout(wait):
                        ack = await answer
                except TimeoutError:
                    ack = None
        finally:
            self._ack_waiters.remove(waiter)
        return SaveResult(version, ack)

    async def _async_check_retained(self, _now_dt: datetime) -> None:
        """Republish the stored set when the broker's retained copy is missing or older."""
        self._retained_check = None
        self._retained_checked = True
        stored_version = int(self.entry.options.get(OPT_VERSION, 0))
        if not stored_version:
            return
        on_broker = self.data.rois_on_broker
        retained = on_broker.version if on_broker is not None else None
        if retained is not None and retained >= stored_version:
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
