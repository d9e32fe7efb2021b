"""The camera's repair issues, all raised and cleared here, and their fix flows.

Issues of the detection service's health (health.py decides when: offline, not acknowledging, not
answering commands, stats stopped) and of the camera itself (runtime.py: a refused ROI set, an
announce pointing at another HTTP origin, a camera that turned smart), and of the IP cameras
listen_frame runs (hosted.py: one that fails; its id is `<kind>_<base>_<camera>`, as such a camera
may have no entry). Each other issue's id is `<translation key>_<entry id>`; its translation key
names its text in strings.json ("issues").

Only an issue with a fix the user can make from the issue itself is fixable: "the camera's origin
changed" (HA's repairs platform, `async_create_fix_flow`): confirming it makes the new origin the
accepted one (the entry's data, then a reload), so the camera's URLs there are followed and its
token goes there. The others are warnings whose fix is elsewhere (the service, the regions, the
broker), which their texts name.
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResult
from homeassistant.helpers import issue_registry as ir

from .const import CONF_ORIGIN, DOMAIN, LOGGER

# The kinds of issue a camera may have (an id each). The service's problem is one issue whose
# translation key is the problem (health.py PROBLEM_*); the others are their own translation key.
ISSUE_SERVICE_PROBLEM = "service_problem"
ISSUE_ROIS_REFUSED = "rois_refused"
ISSUE_ORIGIN_CHANGED = "origin_changed"
ISSUE_TURNED_SMART = "turned_smart"
# A Home Assistant camera published as a Bobby camera (ha_source.py) whose entity is gone.
ISSUE_SOURCE_MISSING = "source_missing"
# An IP camera run by listen_frame (the add-on's `cameras`) that fails (hosted.py): an issue per
# camera and base topic, not per entry (a camera that never opened has none).
ISSUE_HOSTED_FAILED = "hosted_camera_failed"
# The issues that have a fix flow.
FIXABLE = frozenset({ISSUE_ORIGIN_CHANGED})


def issue_id(kind: str, entry_id: str) -> str:
    """The id of a camera's issue of one kind (one issue per kind and camera)."""
    return f"{kind}_{entry_id}"


@callback
def async_raise_issue(
    hass: HomeAssistant,
    entry_id: str,
    kind: str,
    camera: str,
    *,
    translation_key: str | None = None,
    data: dict[str, str | int | float | None] | None = None,
    **placeholders: str,
) -> None:
    """Raise (or update) the camera's issue of this kind (its text: `translation_key`, by default
    the kind); `data` goes to its fix flow."""
    translation_key = translation_key or kind
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(kind, entry_id),
        is_fixable=translation_key in FIXABLE,
        severity=ir.IssueSeverity.WARNING,
        translation_key=translation_key,
        translation_placeholders={"camera": camera, **placeholders},
        data=data,
    )


@callback
def async_clear_issue(hass: HomeAssistant, entry_id: str, kind: str) -> None:
    """Clear the camera's issue of this kind (nothing happens when there is none)."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry_id))


class OriginChangedFlow(RepairsFlow):
    """ "The camera announces another HTTP server": confirm it as the camera's new origin.

    The new origin comes from an announce, which anyone on the broker can publish: nothing
    changes until the user confirms it here, and the text says that the token will go there.
    """

    def __init__(self, entry_id: str, origin: str) -> None:
        """The entry and the origin the issue named when the flow started."""
        self.entry_id = entry_id
        self.origin = origin

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> FlowResult:
        """The only step: confirm."""
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, str] | None = None) -> FlowResult:
        """Show the accepted and the announced origin; on submit, accept the announced one."""
        entry = self.hass.config_entries.async_get_entry(self.entry_id)
        if entry is None or entry.domain != DOMAIN:
            return self.async_abort(reason="entry_gone")
        if user_input is not None:
            LOGGER.info(
                "Camera %s: the HTTP origin %s accepted from the repair issue (was %s)",
                entry.title,
                self.origin,
                entry.data.get(CONF_ORIGIN) or "none",
            )
            self.hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_ORIGIN: self.origin})
            if entry.state is ConfigEntryState.LOADED:
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
            return self.async_create_entry(data={})
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        placeholders = dict(issue.translation_placeholders or {}) if issue else {}
        placeholders.update(asked=self.origin, accepted=entry.data.get(CONF_ORIGIN) or "none")
        placeholders.setdefault("camera", entry.title)
        placeholders.setdefault("camera_id", str(entry.unique_id))
        return self.async_show_form(
            step_id="confirm", data_schema=vol.Schema({}), description_placeholders=placeholders
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """HA's repairs platform: the fix flow of a fixable issue (only origin_changed is one)."""
    entry_id, origin = (data or {}).get("entry_id"), (data or {}).get("origin")
    if (
        issue_id.startswith(f"{ISSUE_ORIGIN_CHANGED}_")
        and isinstance(entry_id, str)
        and isinstance(origin, str)
    ):
        return OriginChangedFlow(entry_id, origin)
    raise ValueError(f"No fix flow for the issue {issue_id}")
