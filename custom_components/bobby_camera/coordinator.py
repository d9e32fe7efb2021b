"""What the camera and its detection service last said, typed and parsed, pushed to the entities.

As HA core's WLED and HomeWizard do: a `DataUpdateCoordinator` whose data is one immutable
`CameraState`. Nothing is polled (update_interval None): runtime.py reads the camera's MQTT topics
through the one reader (untrusted.py), parses each message into its dataclass here and pushes the
new state with `async_set_updated_data`; the entities (entity.py, CoordinatorEntity) follow it.
Every value of these dataclasses was checked: a field that was not what the contract says is None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import DOMAIN, LOGGER, MODE_DUMB, MODE_SMART

MAX_NAME_CHARS = 100
MAX_TEXT_CHARS = 300


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any, limit: int = MAX_TEXT_CHARS) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _size(value: Any) -> tuple[int, int] | None:
    """A `[width, height]` of positive integers up to 10000."""
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 10000 for v in value)
    ):
        return (value[0], value[1])
    return None


@dataclass(frozen=True, slots=True)
class Announce:
    """`<base>/<cam>/announce` (docs/mqtt.md): what the camera says it is."""

    mode: str
    name: str | None
    resolution: tuple[int, int] | None
    # As received (diagnostics; the URLs are checked against the accepted origin in runtime.py).
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Announce:
        """An announce object; a camera that does not say smart counts as dumb."""
        name = data.get("name")
        return cls(
            mode=MODE_SMART if data.get("mode") == MODE_SMART else MODE_DUMB,
            name=name[:MAX_NAME_CHARS] if isinstance(name, str) and name.strip() else None,
            resolution=_size(data.get("resolution")),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class Ack:
    """`<base>/<cam>/rois/applied`: a service's answer to an ROI set."""

    version: int | None
    active_version: int | None
    ok: bool | None
    service: str | None
    error: str | None
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Ack:
        """An acknowledgement object."""
        ok = data.get("ok")
        error = data.get("error")
        return cls(
            version=_int(data.get("version")),
            active_version=_int(data.get("active_version")),
            ok=ok if isinstance(ok, bool) else None,
            service=_text(data.get("service"), MAX_NAME_CHARS),
            error=str(error)[:MAX_TEXT_CHARS] if error is not None else None,
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class Stats:
    """`<base>/<cam>/stats`: the camera's stats, from whichever service detects for it."""

    service: str | None
    # Seconds between two stats messages, when the service says it and it is sensible.
    interval: float | None
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Stats:
        """A stats object."""
        interval = data.get("interval")
        seconds: float | None = None
        if (
            not isinstance(interval, bool)
            and isinstance(interval, (int, float))
            and math.isfinite(interval)
            and 0 < interval < 1e6
        ):
            seconds = float(interval)
        return cls(
            service=_text(data.get("service"), MAX_NAME_CHARS),
            interval=seconds,
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class DetectionState:
    """`<base>/<cam>/detection/state`: the detection switch's state and who answered."""

    state: str | None
    service: str | None
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> DetectionState:
        """A detection state object (or `{"state": <bare payload>}`)."""
        return cls(
            state=_text(data.get("state"), 64),
            service=_text(data.get("service"), MAX_NAME_CHARS),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class RoiSetOnBroker:
    """`<base>/<cam>/rois` as the broker retains it (the version is all HA needs of it)."""

    version: int | None
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> RoiSetOnBroker:
        """A retained ROI set object."""
        return cls(version=_int(data.get("version")), raw=data)


@dataclass(frozen=True, slots=True)
class HealthState:
    """What health.py concluded about the detection service (the sensor, diagnostics)."""

    healthy: bool = False
    problem: str | None = None
    issue: str | None = None
    service: str | None = None
    service_online: bool | None = None
    services: Mapping[str, bool] = field(default_factory=dict)
    pending_ack_version: int | None = None
    pending_command: str | None = None


@dataclass(frozen=True, slots=True)
class CameraState:
    """Everything the entities, the card and diagnostics show of one camera."""

    announce: Announce | None = None
    # The announced stream and snapshot URLs on the accepted origin (runtime.py checks them).
    urls: Mapping[str, str] = field(default_factory=dict)
    online: bool | None = None
    online_since: float | None = None
    ack: Ack | None = None
    stats: Stats | None = None
    stats_at: float | None = None
    detection: DetectionState | None = None
    rois_on_broker: RoiSetOnBroker | None = None
    health: HealthState = field(default_factory=HealthState)

    @property
    def mode(self) -> str:
        """`dumb` or `smart` (a camera that has not announced counts as dumb)."""
        return self.announce.mode if self.announce else MODE_DUMB

    @property
    def service_name(self) -> str | None:
        """The service that serves this camera, as it names itself in stats, acks, states."""
        for message in (self.stats, self.ack, self.detection):
            if message is not None and message.service is not None:
                return message.service
        return None


def camera_name(state: CameraState, title: str) -> str:
    """The camera's name from its announce, else `title` (the entry's)."""
    announce = state.announce
    return announce.name if announce is not None and announce.name else title


class BobbyCoordinator(DataUpdateCoordinator[CameraState]):
    """One camera's state, pushed (MQTT) rather than polled: update_interval is None."""

    config_entry: ConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, camera_id: str) -> None:
        """The state starts empty: nothing heard yet."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {camera_id}",
            update_interval=None,
        )
        self.camera_id = camera_id
        self.data = CameraState()

    async def _async_update_data(self) -> CameraState:
        """Push only: a refresh (`homeassistant.update_entity`) gives what is known."""
        return self.data
