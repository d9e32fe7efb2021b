"""Set-up of a camera: MQTT discovery, the user's choice, reconfigure. The ROI editor (options flow)
is in options_flow.py.

The confirm step says what applies to the camera at hand: a smart camera with an HTTP server shows
its HTTP origin (`scheme://host:port` of its stream and snapshot URLs), stored with the entry: the
camera's token is only ever sent there. A dumb camera (its pictures and live view come over MQTT),
a smart camera without an HTTP server and a camera that has not announced itself yet each get
their own text (steps `confirm_dumb`, `confirm_smart_no_http`, `confirm_unannounced`).

Added by hand (`user`), a menu: a camera on the broker (`broker`: base topic, an id or a list of
the announced cameras) or a Home Assistant camera entity published as a Bobby camera
(`ha_camera`, then `confirm_ha_camera`; ha_source.py does the publishing).
"""

from __future__ import annotations

import asyncio
from typing import Any

import voluptuous as vol
from homeassistant.components import mqtt
from homeassistant.config_entries import SOURCE_MQTT, ConfigEntryState, ConfigFlow, ConfigFlowResult
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo

from .const import (
    CONF_BASE_TOPIC,
    CONF_CAMERA_ID,
    CONF_ORIGIN,
    CONF_SOURCE_ENTITY,
    CONF_SOURCE_FPS,
    CONF_TOKEN,
    DEFAULT_BASE_TOPIC,
    DEFAULT_SOURCE_FPS,
    DOMAIN,
    MAX_SOURCE_CAMERAS,
    MAX_SOURCE_FPS,
    MIN_SOURCE_FPS,
    MODE_DUMB,
    MODE_SMART,
    SCAN_SECONDS,
    announce_topic_filter,
    valid_base_topic,
    valid_camera_id,
)
from .ha_source import count_sources, entity_camera_id
from .options_flow import BobbyOptionsFlow, fps_selector
from .runtime import BobbyConfigEntry, announced_origin, url_origin
from .untrusted import UntrustedJSONError, integration_refusals, read_object

# What the reconfigure step shows for a camera that announces no HTTP server.
NO_ORIGIN = "none"
# An announce is a small JSON object; a larger one is not parsed.
MAX_ANNOUNCE_BYTES = 16 * 1024
CONF_NAME = "name"
CAMERA_DOMAIN = "camera"


def valid_fps(value: Any) -> bool:
    """A rate within the caps."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and MIN_SOURCE_FPS <= value <= MAX_SOURCE_FPS
    )


def _parse_announce(
    hass: HomeAssistant, topic: str, payload: str | bytes | bytearray
) -> tuple[str, str, dict[str, Any]] | None:
    """(base topic, camera id, announce) from a message on `<base>/<cam>/announce`; a payload that
    is not an announce is counted (and logged) with the integration's refusals."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[-1] != "announce" or not payload:
        return None
    try:
        announce = read_object(payload, max_bytes=MAX_ANNOUNCE_BYTES)
    except UntrustedJSONError as err:
        integration_refusals(hass).refuse(
            "announce_malformed", "ignoring a malformed announce on %s: %s", topic[:200], err
        )
        return None
    cam, base = parts[-2], "/".join(parts[:-2])
    if not valid_camera_id(cam) or announce.get("id", cam) != cam:
        return None
    if not valid_base_topic(base):
        return None
    return base, cam, announce


def _display_name(cam: str, announce: dict[str, Any] | None) -> str:
    name = (announce or {}).get("name")
    return name.strip()[:100] if isinstance(name, str) and name.strip() else cam


async def async_scan_cameras(hass: HomeAssistant, base: str) -> dict[str, dict[str, Any]]:
    """Cameras announced (retained) under a base topic: {camera id: announce}."""
    found: dict[str, dict[str, Any]] = {}

    @callback
    def on_announce(msg: mqtt.ReceiveMessage) -> None:
        if (parsed := _parse_announce(hass, msg.topic, msg.payload)) is not None:
            found[parsed[1]] = parsed[2]

    unsubscribe = await mqtt.async_subscribe(hass, announce_topic_filter(base), on_announce, 1)
    try:
        # Retained announces come right after the subscription; live ones may come meanwhile.
        await asyncio.sleep(SCAN_SECONDS)
    finally:
        unsubscribe()
    return found


class BobbyCameraConfigFlow(ConfigFlow, domain=DOMAIN):
    """One config entry per camera, unique id = camera id."""

    VERSION = 1

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._base = DEFAULT_BASE_TOPIC
        self._camera_id = ""
        self._announce: dict[str, Any] | None = None
        self._found: dict[str, dict[str, Any]] = {}
        # A Home Assistant camera to publish (ha_camera): its entity, the rate, the name.
        self._source: dict[str, Any] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: BobbyConfigEntry) -> BobbyOptionsFlow:
        """The ROI editor."""
        return BobbyOptionsFlow()

    def _create(self) -> ConfigFlowResult:
        if self._source:
            return self.async_create_entry(
                title=self._source[CONF_NAME],
                data={
                    CONF_CAMERA_ID: self._camera_id,
                    CONF_BASE_TOPIC: self._base,
                    CONF_ORIGIN: "",
                    CONF_SOURCE_ENTITY: self._source[CONF_SOURCE_ENTITY],
                    CONF_SOURCE_FPS: self._source[CONF_SOURCE_FPS],
                },
            )
        return self.async_create_entry(
            title=_display_name(self._camera_id, self._announce),
            data={
                CONF_CAMERA_ID: self._camera_id,
                CONF_BASE_TOPIC: self._base,
                # Fixed now, as the user saw it in the confirm step ("" = no HTTP server).
                CONF_ORIGIN: announced_origin(self._announce) or "",
            },
        )

    async def async_step_mqtt(self, discovery_info: MqttServiceInfo) -> ConfigFlowResult:
        """A camera announced itself on `bobby/<cam>/announce`."""
        if not discovery_info.payload:
            # The announce was emptied: the camera was removed (docs/mqtt.md, forget). Its
            # "Discovered" card goes too, or it would offer a camera that is gone.
            self._abort_discovered(discovery_info.topic)
        parsed = _parse_announce(self.hass, discovery_info.topic, discovery_info.payload)
        if parsed is None:
            return self.async_abort(reason="invalid_discovery_info")
        self._base, self._camera_id, self._announce = parsed
        await self.async_set_unique_id(self._camera_id)
        # Not followed to another base topic: anyone on the broker can publish an announce, and
        # following it would move the camera's commands and ROI sets there. Reconfigure moves it.
        self._abort_if_unique_id_configured()
        self.context["title_placeholders"] = {"name": _display_name(self._camera_id, self._announce)}
        return await self.async_step_confirm()

    @callback
    def _abort_discovered(self, topic: str) -> None:
        """Abort the discovery flows of the camera whose announce on `topic` was emptied."""
        parts = topic.split("/")
        cam = parts[-2] if len(parts) >= 3 else ""
        if not valid_camera_id(cam):
            return
        for flow in self._async_in_progress(include_uninitialized=True):
            context = flow["context"]
            if (
                flow["flow_id"] != self.flow_id
                and context.get("source") == SOURCE_MQTT
                and context.get("unique_id") == cam
            ):
                self.hass.config_entries.flow.async_abort(flow["flow_id"])

    async def async_step_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Confirm a discovered or chosen camera, with what applies to it: for a smart camera with
        an HTTP server, the origin its token may go to; for the others, how they are seen."""
        if user_input is not None:
            return self._create()
        self._set_confirm_only()
        placeholders = {
            "name": _display_name(self._camera_id, self._announce),
            "camera_id": self._camera_id,
            "base_topic": self._base,
        }
        origin = announced_origin(self._announce)
        if self._announce is None:
            step_id = "confirm_unannounced"
        elif self._announce.get("mode", MODE_DUMB) != MODE_SMART:
            step_id = "confirm_dumb"
        elif origin is None:
            step_id = "confirm_smart_no_http"
        else:
            step_id = "confirm"
            placeholders["origin"] = origin
        return self.async_show_form(step_id=step_id, description_placeholders=placeholders)

    async def async_step_confirm_dumb(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The confirm step of a dumb camera (its own text)."""
        return await self.async_step_confirm(user_input)

    async def async_step_confirm_smart_no_http(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The confirm step of a smart camera that serves no HTTP (its own text)."""
        return await self.async_step_confirm(user_input)

    async def async_step_confirm_unannounced(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The confirm step of a camera chosen by id that has not announced itself (its own text)."""
        return await self.async_step_confirm(user_input)

    async def _mqtt_abort(self) -> ConfigFlowResult | None:
        if not mqtt.mqtt_config_entry_enabled(self.hass):
            return self.async_abort(reason="mqtt_not_configured")
        if not await mqtt.async_wait_for_mqtt_client(self.hass):
            return self.async_abort(reason="mqtt_not_connected")
        return None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A camera on the broker, or a Home Assistant camera to publish as one."""
        if (abort := await self._mqtt_abort()) is not None:
            return abort
        return self.async_show_menu(step_id="user", menu_options=["broker", "ha_camera"])

    async def async_step_broker(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Base topic and, optionally, a camera id; without one, list the announced cameras."""
        errors: dict[str, str] = {}
        if user_input is not None:
            base = user_input[CONF_BASE_TOPIC].strip()
            cam = user_input.get(CONF_CAMERA_ID, "").strip()
            if not valid_base_topic(base):
                errors[CONF_BASE_TOPIC] = "invalid_base_topic"
            elif cam and not valid_camera_id(cam):
                errors[CONF_CAMERA_ID] = "invalid_camera_id"
            elif cam:
                self._base, self._camera_id = base, cam
                await self.async_set_unique_id(cam)
                self._abort_if_unique_id_configured()
                # Its announce, when it has one, gives the name and the HTTP origin to confirm.
                self._announce = (await async_scan_cameras(self.hass, base)).get(cam)
                return await self.async_step_confirm()
            else:
                self._base = base
                found = await async_scan_cameras(self.hass, base)
                configured = self._async_current_ids(include_ignore=False)
                self._found = {c: a for c, a in found.items() if c not in configured}
                if self._found:
                    return await self.async_step_pick()
                errors["base"] = "all_configured" if found else "no_cameras_found"
        return self.async_show_form(
            step_id="broker",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_BASE_TOPIC): TextSelector(),
                        vol.Optional(CONF_CAMERA_ID): TextSelector(),
                    }
                ),
                user_input or {CONF_BASE_TOPIC: self._base},
            ),
            errors=errors,
        )

    async def async_step_ha_camera(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A Home Assistant camera entity, published as a dumb Bobby camera at the rate chosen."""
        if count_sources(self.hass) >= MAX_SOURCE_CAMERAS:
            return self.async_abort(
                reason="too_many_sources", description_placeholders={"max": str(MAX_SOURCE_CAMERAS)}
            )
        errors: dict[str, str] = {}
        if user_input is not None:
            entity_id = user_input[CONF_SOURCE_ENTITY]
            base = user_input.get(CONF_BASE_TOPIC, DEFAULT_BASE_TOPIC).strip()
            cam = user_input.get(CONF_CAMERA_ID, "").strip() or entity_camera_id(entity_id)
            fps = user_input.get(CONF_SOURCE_FPS, DEFAULT_SOURCE_FPS)
            state = self.hass.states.get(entity_id)
            registry = er.async_get(self.hass).async_get(entity_id)
            if state is None or entity_id.partition(".")[0] != CAMERA_DOMAIN:
                errors[CONF_SOURCE_ENTITY] = "source_not_found"
            elif registry is not None and registry.platform == DOMAIN:
                # A Bobby camera's own live view shows the frames on the broker: not a source.
                errors[CONF_SOURCE_ENTITY] = "source_is_bobby"
            elif not valid_camera_id(cam):
                errors[CONF_CAMERA_ID] = "invalid_camera_id"
            elif not valid_base_topic(base):
                errors[CONF_BASE_TOPIC] = "invalid_base_topic"
            elif not valid_fps(fps):
                errors[CONF_SOURCE_FPS] = "invalid_fps"
            elif cam in self._async_current_ids(include_ignore=False):
                errors[CONF_CAMERA_ID] = "camera_id_taken"
            else:
                await self.async_set_unique_id(cam)
                self._abort_if_unique_id_configured()
                name = (user_input.get(CONF_NAME) or "").strip()
                name = name or str(state.attributes.get("friendly_name") or "").strip() or cam
                self._base, self._camera_id = base, cam
                self._source = {
                    CONF_SOURCE_ENTITY: entity_id,
                    CONF_SOURCE_FPS: float(fps),
                    CONF_NAME: name[:64],
                }
                return await self.async_step_confirm_ha_camera()
        return self.async_show_form(
            step_id="ha_camera",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_SOURCE_ENTITY): EntitySelector(
                            EntitySelectorConfig(domain=CAMERA_DOMAIN)
                        ),
                        vol.Optional(CONF_NAME): TextSelector(),
                        vol.Optional(CONF_CAMERA_ID): TextSelector(),
                        vol.Required(CONF_SOURCE_FPS): fps_selector(),
                        vol.Required(CONF_BASE_TOPIC): TextSelector(),
                    }
                ),
                user_input or {CONF_SOURCE_FPS: DEFAULT_SOURCE_FPS, CONF_BASE_TOPIC: self._base},
            ),
            errors=errors,
            description_placeholders={
                "max": str(MAX_SOURCE_CAMERAS),
                "min_fps": f"{MIN_SOURCE_FPS:g}",
                "max_fps": f"{MAX_SOURCE_FPS:g}",
            },
        )

    async def async_step_confirm_ha_camera(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm the Home Assistant camera to publish, with where and how fast."""
        if user_input is not None:
            return self._create()
        return self.async_show_form(
            step_id="confirm_ha_camera",
            description_placeholders={
                "name": self._source[CONF_NAME],
                "camera_id": self._camera_id,
                "base_topic": self._base,
                "entity_id": self._source[CONF_SOURCE_ENTITY],
                "fps": f"{self._source[CONF_SOURCE_FPS]:g}",
            },
        )

    async def async_step_pick(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose one of the cameras announced on the broker."""
        if user_input is not None:
            self._camera_id = user_input[CONF_CAMERA_ID]
            self._announce = self._found[self._camera_id]
            await self.async_set_unique_id(self._camera_id)
            self._abort_if_unique_id_configured()
            return await self.async_step_confirm()
        options = [
            SelectOptionDict(
                value=cam,
                label=f"{_display_name(cam, announce)} ({cam}, {announce.get('mode', MODE_DUMB)})",
            )
            for cam, announce in sorted(self._found.items())
        ]
        return self.async_show_form(
            step_id="pick",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_CAMERA_ID): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                    )
                }
            ),
            description_placeholders={"base_topic": self._base},
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Change the base topic, the smart camera's HTTP token and the HTTP origin it may go to."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            base = user_input[CONF_BASE_TOPIC].strip()
            typed_origin = user_input.get(CONF_ORIGIN, "").strip()
            origin = url_origin(typed_origin) if typed_origin else ""
            if not valid_base_topic(base):
                errors[CONF_BASE_TOPIC] = "invalid_base_topic"
            elif origin is None:
                errors[CONF_ORIGIN] = "invalid_origin"
            else:
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={
                        CONF_BASE_TOPIC: base,
                        CONF_TOKEN: user_input.get(CONF_TOKEN, "").strip(),
                        CONF_ORIGIN: origin,
                    },
                )
        announced = NO_ORIGIN
        if entry.state is ConfigEntryState.LOADED:
            announce = entry.runtime_data.data.announce
            announced = announced_origin(announce.raw if announce else None) or NO_ORIGIN
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_BASE_TOPIC): TextSelector(),
                        vol.Optional(CONF_TOKEN): TextSelector(
                            TextSelectorConfig(type=TextSelectorType.PASSWORD)
                        ),
                        vol.Optional(CONF_ORIGIN): TextSelector(
                            TextSelectorConfig(type=TextSelectorType.URL)
                        ),
                    }
                ),
                user_input or dict(entry.data),
            ),
            errors=errors,
            description_placeholders={"camera_id": entry.data[CONF_CAMERA_ID], "announced": announced},
        )
