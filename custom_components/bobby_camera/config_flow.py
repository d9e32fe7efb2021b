"""Set-up (MQTT discovery, user, reconfigure) and the ROI editor (options flow)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import voluptuous as vol
from homeassistant.components import mqtt
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
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
    CAMERA_ID_RE,
    CONF_BASE_TOPIC,
    CONF_CAMERA_ID,
    CONF_TOKEN,
    DEFAULT_BASE_TOPIC,
    DEFAULT_LABELS,
    DOMAIN,
    MODE_DUMB,
    SCAN_SECONDS,
    announce_topic_filter,
)
from .rois import (
    MAX_CLEAR_AFTER,
    MAX_FRAMES_WINDOW,
    RoiError,
    as_rectangle,
    format_points,
    normalise_detection,
    normalise_roi,
    parse_points,
    percent_points,
    rectangle,
    roi_id,
    stored_set,
)
from .runtime import BobbyConfigEntry

# Labels of the COCO model that make sense around a house; others can be typed in.
LABEL_CHOICES = ["person", "car", "bicycle", "motorcycle", "truck", "dog", "cat", "bird"]
SHAPE_RECTANGLE = "rectangle"
SHAPE_POLYGON = "polygon"


def _parse_announce(topic: str, payload: str | bytes | bytearray) -> tuple[str, str, dict[str, Any]] | None:
    """(base topic, camera id, announce) from a message on `<base>/<cam>/announce`."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[-1] != "announce" or not payload:
        return None
    try:
        announce = json.loads(payload)
    except ValueError:
        return None
    cam = parts[-2]
    if not isinstance(announce, dict) or not CAMERA_ID_RE.match(cam) or announce.get("id", cam) != cam:
        return None
    return "/".join(parts[:-2]), cam, announce


def _display_name(cam: str, announce: dict[str, Any] | None) -> str:
    name = (announce or {}).get("name")
    return name if isinstance(name, str) and name.strip() else cam


def _valid_base(base: str) -> bool:
    if not base or any(c in base for c in "+#") or base.startswith("/") or base.endswith("/"):
        return False
    try:
        mqtt.valid_publish_topic(base)
    except vol.Invalid:
        return False
    return True


async def async_scan_cameras(hass: HomeAssistant, base: str) -> dict[str, dict[str, Any]]:
    """Cameras announced (retained) under a base topic: {camera id: announce}."""
    found: dict[str, dict[str, Any]] = {}

    @callback
    def on_announce(msg: mqtt.ReceiveMessage) -> None:
        if (parsed := _parse_announce(msg.topic, msg.payload)) is not None:
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

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: BobbyConfigEntry) -> BobbyOptionsFlow:
        """The ROI editor."""
        return BobbyOptionsFlow()

    def _create(self) -> ConfigFlowResult:
        return self.async_create_entry(
            title=_display_name(self._camera_id, self._announce),
            data={CONF_CAMERA_ID: self._camera_id, CONF_BASE_TOPIC: self._base},
        )

    async def async_step_mqtt(self, discovery_info: MqttServiceInfo) -> ConfigFlowResult:
        """A camera announced itself on `bobby/<cam>/announce`."""
        parsed = _parse_announce(discovery_info.topic, discovery_info.payload)
        if parsed is None:
            return self.async_abort(reason="invalid_discovery_info")
        self._base, self._camera_id, self._announce = parsed
        await self.async_set_unique_id(self._camera_id)
        # A camera that moved to this base topic: follow it (quality rule discovery-update-info).
        self._abort_if_unique_id_configured(updates={CONF_BASE_TOPIC: self._base})
        self.context["title_placeholders"] = {"name": _display_name(self._camera_id, self._announce)}
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Confirm a discovered camera."""
        if user_input is not None:
            return self._create()
        self._set_confirm_only()
        return self.async_show_form(
            step_id="confirm",
            description_placeholders={
                "name": _display_name(self._camera_id, self._announce),
                "camera_id": self._camera_id,
                "mode": str((self._announce or {}).get("mode", MODE_DUMB)),
                "base_topic": self._base,
            },
        )

    async def _mqtt_abort(self) -> ConfigFlowResult | None:
        if not mqtt.mqtt_config_entry_enabled(self.hass):
            return self.async_abort(reason="mqtt_not_configured")
        if not await mqtt.async_wait_for_mqtt_client(self.hass):
            return self.async_abort(reason="mqtt_not_connected")
        return None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Base topic and, optionally, a camera id; without one, list the announced cameras."""
        if (abort := await self._mqtt_abort()) is not None:
            return abort
        errors: dict[str, str] = {}
        if user_input is not None:
            base = user_input[CONF_BASE_TOPIC].strip()
            cam = user_input.get(CONF_CAMERA_ID, "").strip()
            if not _valid_base(base):
                errors[CONF_BASE_TOPIC] = "invalid_base_topic"
            elif cam and not CAMERA_ID_RE.match(cam):
                errors[CONF_CAMERA_ID] = "invalid_camera_id"
            elif cam:
                self._base, self._camera_id = base, cam
                await self.async_set_unique_id(cam)
                self._abort_if_unique_id_configured()
                return self._create()
            else:
                self._base = base
                found = await async_scan_cameras(self.hass, base)
                configured = self._async_current_ids(include_ignore=False)
                self._found = {c: a for c, a in found.items() if c not in configured}
                if self._found:
                    return await self.async_step_pick()
                errors["base"] = "all_configured" if found else "no_cameras_found"
        return self.async_show_form(
            step_id="user",
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

    async def async_step_pick(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose one of the cameras announced on the broker."""
        if user_input is not None:
            self._camera_id = user_input[CONF_CAMERA_ID]
            self._announce = self._found[self._camera_id]
            await self.async_set_unique_id(self._camera_id)
            self._abort_if_unique_id_configured()
            return self._create()
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
        """Change the base topic (and the smart camera's HTTP token)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            base = user_input[CONF_BASE_TOPIC].strip()
            if _valid_base(base):
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={
                        CONF_BASE_TOPIC: base,
                        CONF_TOKEN: user_input.get(CONF_TOKEN, "").strip(),
                    },
                )
            errors[CONF_BASE_TOPIC] = "invalid_base_topic"
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_BASE_TOPIC): TextSelector(),
                        vol.Optional(CONF_TOKEN): TextSelector(
                            TextSelectorConfig(type=TextSelectorType.PASSWORD)
                        ),
                    }
                ),
                user_input or dict(entry.data),
            ),
            errors=errors,
            description_placeholders={"camera_id": entry.data[CONF_CAMERA_ID]},
        )


def _percent(minimum: float, maximum: float, step: float = 0.5) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=step, mode=NumberSelectorMode.BOX, unit_of_measurement="%"
        )
    )


def _count(maximum: int) -> NumberSelector:
    return NumberSelector(NumberSelectorConfig(min=1, max=maximum, step=1, mode=NumberSelectorMode.BOX))


class BobbyOptionsFlow(OptionsFlow):
    """The ROI editor: edit regions and detection settings, then save to publish the whole set."""

    def __init__(self) -> None:
        """The working copy is loaded from the entry on the first step."""
        self._rois: list[dict[str, Any]] = []
        self._detection: dict[str, Any] = {}
        self._loaded = False
        self._editing: str | None = None
        self._draft: dict[str, Any] = {}

    def _region(self, rid: str | None) -> dict[str, Any] | None:
        return next((r for r in self._rois if r["id"] == rid), None)

    def _region_options(self) -> list[SelectOptionDict]:
        return [SelectOptionDict(value=r["id"], label=r["name"]) for r in self._rois]

    def _summary(self) -> str:
        if not self._rois:
            return "-"
        lines = []
        for roi in self._rois:
            rect = as_rectangle(roi["points"])
            shape = "{:g}, {:g} → {:g}, {:g} %".format(*rect) if rect else f"{len(roi['points'])} points"
            lines.append(f"- {roi['name']}: {shape}; {', '.join(roi['labels'])}")
        return "\n".join(lines)

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The menu."""
        if self.config_entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        if not self._loaded:
            _version, rois, detection = stored_set(self.config_entry.options)
            self._rois = [dict(r) for r in rois]
            self._detection = detection
            self._loaded = True
        menu = ["add_region"]
        if self._rois:
            menu += ["edit_region", "remove_region"]
        menu += ["detection", "save"]
        return self.async_show_menu(
            step_id="init",
            menu_options=menu,
            description_placeholders={"regions": self._summary()},
        )

    async def async_step_add_region(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A new region."""
        self._editing = None
        return await self.async_step_region()

    async def async_step_edit_region(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the region to edit."""
        if user_input is not None:
            self._editing = user_input["region"]
            return await self.async_step_region()
        return self.async_show_form(
            step_id="edit_region",
            data_schema=vol.Schema(
                {vol.Required("region"): SelectSelector(SelectSelectorConfig(options=self._region_options()))}
            ),
        )

    async def async_step_remove_region(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Remove regions."""
        if user_input is not None:
            gone = set(user_input["regions"])
            self._rois = [r for r in self._rois if r["id"] not in gone]
            return await self.async_step_init()
        return self.async_show_form(
            step_id="remove_region",
            data_schema=vol.Schema(
                {
                    vol.Required("regions"): SelectSelector(
                        SelectSelectorConfig(options=self._region_options(), multiple=True)
                    )
                }
            ),
        )

    async def async_step_region(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Name, shape, labels and minimum score of the region being added or edited."""
        errors: dict[str, str] = {}
        current = self._region(self._editing)
        if user_input is not None:
            name = user_input["name"].strip()
            try:
                rid = roi_id(name)
            except RoiError as err:
                errors["name"] = err.key
            else:
                if any(r["id"] == rid and r["id"] != self._editing for r in self._rois):
                    errors["name"] = "duplicate_name"
            if not user_input.get("labels"):
                errors["labels"] = "invalid_labels"
            if not errors:
                self._draft = {"name": name, "labels": user_input["labels"]}
                if (score := user_input.get("min_score")) is not None:
                    self._draft["min_score"] = round(score / 100, 4)
                if user_input["shape"] == SHAPE_RECTANGLE:
                    return await self.async_step_rectangle()
                return await self.async_step_polygon()
        if user_input is None:
            suggested: dict[str, Any] = {"shape": SHAPE_RECTANGLE, "labels": list(DEFAULT_LABELS)}
            if current:
                suggested = {
                    "name": current["name"],
                    "shape": SHAPE_RECTANGLE if as_rectangle(current["points"]) else SHAPE_POLYGON,
                    "labels": current["labels"],
                }
                if current.get("min_score") is not None:
                    suggested["min_score"] = round(current["min_score"] * 100, 2)
        else:
            suggested = user_input
        schema = vol.Schema(
            {
                vol.Required("name"): TextSelector(),
                vol.Required("shape"): SelectSelector(
                    SelectSelectorConfig(
                        options=[SHAPE_RECTANGLE, SHAPE_POLYGON],
                        mode=SelectSelectorMode.LIST,
                        translation_key="shape",
                    )
                ),
                vol.Required("labels"): SelectSelector(
                    SelectSelectorConfig(options=LABEL_CHOICES, multiple=True, custom_value=True)
                ),
                vol.Optional("min_score"): _percent(1, 100, 1),
            }
        )
        return self.async_show_form(
            step_id="region",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )

    def _commit(self, points: list[list[float]]) -> None:
        """Put the drafted region in the working set (raises RoiError when it is not valid)."""
        roi = normalise_roi({**self._draft, "points": points})
        if self._editing is None:
            self._rois.append(roi)
        else:
            self._rois = [roi if r["id"] == self._editing else r for r in self._rois]
        self._editing = None

    async def async_step_rectangle(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A rectangle in percent of the picture."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                self._commit(
                    rectangle(
                        user_input["left"], user_input["top"], user_input["right"], user_input["bottom"]
                    )
                )
            except RoiError as err:
                errors["base"] = err.key
            else:
                return await self.async_step_init()
        current = self._region(self._editing)
        rect = as_rectangle(current["points"]) if current else None
        suggested = user_input or dict(
            zip(("left", "top", "right", "bottom"), rect or (0, 0, 100, 100), strict=True)
        )
        schema = vol.Schema(
            {vol.Required(side): _percent(0, 100) for side in ("left", "top", "right", "bottom")}
        )
        return self.async_show_form(
            step_id="rectangle",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders={"name": self._draft["name"]},
        )

    async def async_step_polygon(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A polygon: `x,y` points in percent of the picture."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                self._commit(percent_points(parse_points(user_input["points"])))
            except RoiError as err:
                errors["points"] = err.key
            else:
                return await self.async_step_init()
        current = self._region(self._editing)
        suggested = user_input or ({"points": format_points(current["points"])} if current else {})
        schema = vol.Schema({vol.Required("points"): TextSelector(TextSelectorConfig(multiline=True))})
        return self.async_show_form(
            step_id="polygon",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders={"name": self._draft["name"]},
        )

    async def async_step_detection(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Detection settings of the camera."""
        errors: dict[str, str] = {}
        if user_input is not None:
            candidate = {
                **self._detection,
                "threshold": round(user_input["threshold"] / 100, 4),
                "min_area": round(user_input["min_area"] / 100, 4),
                "max_area": round(user_input["max_area"] / 100, 4),
                "frames_needed": int(user_input["frames_needed"]),
                "frames_window": int(user_input["frames_window"]),
                "clear_after": float(user_input["clear_after"]),
            }
            try:
                self._detection = normalise_detection(candidate)
            except RoiError as err:
                errors["base"] = err.key
            else:
                return await self.async_step_init()
        d = self._detection
        suggested = user_input or {
            "threshold": round(d["threshold"] * 100, 2),
            "min_area": round(d["min_area"] * 100, 2),
            "max_area": round(d["max_area"] * 100, 2),
            "frames_needed": d["frames_needed"],
            "frames_window": d["frames_window"],
            "clear_after": d["clear_after"],
        }
        schema = vol.Schema(
            {
                vol.Required("threshold"): _percent(1, 100, 1),
                vol.Required("min_area"): _percent(0, 100, 0.1),
                vol.Required("max_area"): _percent(0.1, 100, 0.1),
                vol.Required("frames_needed"): _count(MAX_FRAMES_WINDOW),
                vol.Required("frames_window"): _count(MAX_FRAMES_WINDOW),
                vol.Required("clear_after"): NumberSelector(
                    NumberSelectorConfig(
                        min=0,
                        max=MAX_CLEAR_AFTER,
                        step=0.5,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="s",
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="detection",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )

    async def async_step_save(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Publish the whole set (retained, version + 1) and store it in the entry."""
        runtime = self.config_entry.runtime_data
        try:
            options = runtime.prepare_set(self._rois, self._detection)
            await runtime.async_publish_set(options)
        except RoiError as err:
            return self.async_abort(reason="invalid_rois", description_placeholders={"error": str(err)})
        except HomeAssistantError as err:
            return self.async_abort(reason="publish_failed", description_placeholders={"error": str(err)})
        return self.async_create_entry(data=options)
