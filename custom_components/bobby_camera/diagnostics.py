"""Diagnostics: the entry, its ROI set and what the camera and its service last said."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_TOKEN
from .events import event_index
from .hosted import hosted_cameras
from .runtime import BobbyConfigEntry
from .untrusted import integration_refusals

TO_REDACT = {CONF_TOKEN, "password", "username", "credentials", "api_key", "secret"}
SECRET_QUERY_KEYS = {"token", "access_token", "password", "pass", "key", "api_key", "auth", "secret"}


def redact_url(url: Any) -> Any:
    """A URL without its user info and secret query values."""
    if not isinstance(url, str) or "://" not in url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = urlencode(
        [
            (k, REDACTED if k.lower() in SECRET_QUERY_KEYS else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _redact(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _redact(v) for k, v in async_redact_data(data, TO_REDACT).items()}
    if isinstance(data, list):
        return [_redact(v) for v in data]
    return redact_url(data)


async def async_get_config_entry_diagnostics(hass: HomeAssistant, entry: BobbyConfigEntry) -> dict[str, Any]:
    """Everything needed to see why a camera or its ROI set does not behave."""
    runtime = entry.runtime_data
    state = runtime.data
    health = state.health
    redacted: dict[str, Any] = _redact(
        {
            "entry": {
                "title": entry.title,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "mode": state.mode,
            "announce": dict(state.announce.raw) if state.announce else None,
            # The HTTP origin the user accepted: the only one the token is sent to.
            "http_origin": runtime.origin,
            "http_urls_in_use": dict(state.urls),
            "camera_online": state.online,
            "services": dict(health.services),
            "stats": dict(state.stats.raw) if state.stats else None,
            "rois_on_broker": dict(state.rois_on_broker.raw) if state.rois_on_broker else None,
            "last_ack": dict(state.ack.raw) if state.ack else None,
            "detection_state": dict(state.detection.raw) if state.detection else None,
            "pending_ack_version": health.pending_ack_version,
            "pending_command": health.pending_command,
            "health": {
                "healthy": health.healthy,
                "problem": health.problem,
                "issue": health.issue,
                "service": health.service,
                "service_online": health.service_online,
            },
            # Messages, frames and HTTP answers refused, by reason; and the announces refused
            # before any camera was set up (discovery, the user step's scan).
            "refused": dict(sorted(runtime.refused.items())),
            "refused_by_integration": dict(sorted(integration_refusals(hass).counts.items())),
            # A Home Assistant camera published as this camera: its fetches and failures.
            "source": runtime.source.diagnostics() if runtime.source is not None else None,
            # An IP camera listen_frame runs (the add-on's `cameras`): its state per instance.
            "hosted": hosted_cameras(hass).diagnostics(runtime.base_topic, runtime.camera_id),
            # The visits the index keeps for the camera, and the event messages it refused.
            "events": index.diagnostics(runtime.camera_id) if (index := event_index(hass)) else None,
        }
    )
    return redacted
