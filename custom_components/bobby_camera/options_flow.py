"""The ROI editor: the options flow that edits a camera's regions and detection settings.

It works on a copy of the stored set and saves the whole set on save through the one save path of
the card and the set_rois action (runtime.py async_save_set: validate, store, publish retained
with version + 1, wait for the acknowledgement).
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult, OptionsFlow
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

from .const import (
    CONF_SOURCE_ENTITY,
    CONF_SOURCE_FPS,
    DEFAULT_LABELS,
    DEFAULT_SOURCE_FPS,
    MAX_ROIS,
    MAX_SOURCE_FPS,
    MIN_SOURCE_FPS,
)
from .rois import (
    MAX_CLEAR_AFTER,
    MAX_FRAMES_WINDOW,
    MAX_REGIONS_PER_FRAME,
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

# Labels of the COCO model that make sense around a house; others can be typed in.
LABEL_CHOICES = ["person", "car", "bicycle", "motorcycle", "truck", "dog", "cat", "bird"]
SHAPE_RECTANGLE = "rectangle"
SHAPE_POLYGON = "polygon"
# Regions from motion (issue 20): what the detection services do when a set has no `regions` /
# `max_regions` (twin: edge_agent/detect/rois.py DetectionSettings, detect/regions.py).
REGIONS_DEFAULTS: dict[str, Any] = {"regions": True, "max_regions": 4}


def _percent(minimum: float, maximum: float, step: float = 0.5) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=step, mode=NumberSelectorMode.BOX, unit_of_measurement="%"
        )
    )


def _count(maximum: int) -> NumberSelector:
    return NumberSelector(NumberSelectorConfig(min=1, max=maximum, step=1, mode=NumberSelectorMode.BOX))


def fps_selector() -> NumberSelector:
    """The rate of a Home Assistant camera published as a Bobby camera (within the caps)."""
    return NumberSelector(
        NumberSelectorConfig(
            min=MIN_SOURCE_FPS,
            max=MAX_SOURCE_FPS,
            step=0.1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement="fps",
        )
    )


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
        # Markdown list; empty without regions (the description then says what a region does).
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
        menu = ["add_region"] if len(self._rois) < MAX_ROIS else []
        if self._rois:
            menu += ["edit_region", "remove_region"]
        menu += ["detection"]
        if self.config_entry.data.get(CONF_SOURCE_ENTITY):
            menu += ["source_rate"]  # a Home Assistant camera published as this one (ha_source.py)
        menu += ["save"]
        return self.async_show_menu(
            step_id="init",
            menu_options=menu,
            description_placeholders={
                "count": str(len(self._rois)),
                "max": str(MAX_ROIS),
                "regions": self._summary(),
            },
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
                # Optional in the form: a client that does not know them keeps the camera's values.
                "motion": bool(user_input.get("motion", self._detection["motion"])),
                "motion_sensitivity": int(
                    user_input.get("motion_sensitivity", self._detection["motion_sensitivity"])
                ),
                "motion_keepalive": float(
                    user_input.get("motion_keepalive", self._detection["motion_keepalive"])
                ),
            }
            # Kept whenever the set has them (the spread above); added only when changed from
            # the services' defaults, so that a set that never had them stays as it was,
            # readable by a service that does not know them.
            for key, convert in (("regions", bool), ("max_regions", int)):
                if key in user_input:
                    value = convert(user_input[key])
                    if key in self._detection or value != REGIONS_DEFAULTS[key]:
                        candidate[key] = value
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
            "motion": d["motion"],
            "motion_sensitivity": d["motion_sensitivity"],
            "motion_keepalive": d["motion_keepalive"],
            "regions": d.get("regions", REGIONS_DEFAULTS["regions"]),
            "max_regions": d.get("max_regions", REGIONS_DEFAULTS["max_regions"]),
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
                # The motion gate (docs/detection.md): skip frames where nothing moved.
                vol.Optional("motion"): BooleanSelector(),
                vol.Optional("motion_sensitivity"): NumberSelector(
                    NumberSelectorConfig(min=1, max=10, step=1, mode=NumberSelectorMode.SLIDER)
                ),
                vol.Optional("motion_keepalive"): NumberSelector(
                    NumberSelectorConfig(
                        min=0.5, max=60, step=0.5, mode=NumberSelectorMode.BOX, unit_of_measurement="s"
                    )
                ),
                # Regions from motion (docs/detection.md): the model on squares around what moved.
                vol.Optional("regions"): BooleanSelector(),
                vol.Optional("max_regions"): NumberSelector(
                    NumberSelectorConfig(
                        min=1, max=MAX_REGIONS_PER_FRAME, step=1, mode=NumberSelectorMode.SLIDER
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="detection",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )

    async def async_step_source_rate(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The rate at which the Home Assistant camera's pictures are fetched and sent: stored in
        the entry's data (the options hold the ROI set) and used from the next picture on."""
        entry = self.config_entry
        if user_input is not None:
            fps = float(user_input[CONF_SOURCE_FPS])
            self.hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_SOURCE_FPS: fps})
            if (source := entry.runtime_data.source) is not None:
                source.set_fps(fps)
            return self.async_create_entry(data=dict(entry.options))
        return self.async_show_form(
            step_id="source_rate",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        # The selector refuses a rate outside the caps.
                        vol.Required(CONF_SOURCE_FPS): fps_selector()
                    }
                ),
                {CONF_SOURCE_FPS: entry.data.get(CONF_SOURCE_FPS, DEFAULT_SOURCE_FPS)},
            ),
            description_placeholders={
                "entity_id": str(entry.data.get(CONF_SOURCE_ENTITY)),
                "min_fps": f"{MIN_SOURCE_FPS:g}",
                "max_fps": f"{MAX_SOURCE_FPS:g}",
            },
        )

    async def async_step_save(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Save the whole set through the one save path (validate, store, publish retained with
        version + 1, wait for the acknowledgement); a refusal is shown."""
        runtime = self.config_entry.runtime_data
        try:
            saved = await runtime.async_save_set(self._rois, self._detection)
        except RoiError as err:
            return self.async_abort(reason="invalid_rois", description_placeholders={"error": str(err)})
        except HomeAssistantError as err:
            return self.async_abort(reason="publish_failed", description_placeholders={"error": str(err)})
        if saved.ack is not None and saved.ack.ok is False:
            return self.async_abort(
                reason="rois_refused",
                description_placeholders={"service": str(saved.ack.service), "error": str(saved.ack.error)},
            )
        # Stored already (async_save_set): the flow's entry is the same options.
        return self.async_create_entry(data=dict(self.config_entry.options))
