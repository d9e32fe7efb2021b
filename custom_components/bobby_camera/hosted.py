"""IP cameras that listen_frame runs (the add-on's `cameras` option): their state, and a repair
issue for one that fails.

Each listen_frame instance says, in its retained service stats
`<base>/listen_frame/<instance>/stats` (docs/mqtt.md, stats: `hosted`), per camera it runs: its
`state` (starting, running, restarting, failed), `restarts` and `last_error`. A camera whose
source never opens (a wrong password from day one, a wrong path, the camera down) never announces
itself, so it may have no entry here: the state is followed per base topic, once whatever the
number of entries under it (as events.py does), and a failing camera gets a repair issue of its
own, `hosted_camera_failed_<base>_<camera>`. It is not fixable from Home Assistant: its text says
what failed and where the fix is (the camera's `source` in the add-on's `cameras` option). It is
cleared when the camera runs, when no instance runs it any more (its options changed, the
instance went offline) and when no entry follows the base topic any more.

A camera counts as failing when an instance says `failed` (its last try to open the source did
not open it; tried again with backoff) and none says `running`. A stream that drops and comes
back is `restarting` for a few seconds: no issue (its restarts are in diagnostics).

What arrives is untrusted (anyone on the broker can publish): read by untrusted.py within the
bound of the edge's own (MAX_SERVICE_STATS_BYTES), each camera entry checked; what is refused is
counted in the integration's refusals (diagnostics) and logged at most once a minute.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components import mqtt
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .const import CONF_BASE_TOPIC, CONF_CAMERA_ID, DOMAIN, OFFLINE, valid_camera_id, valid_instance
from .repairs import ISSUE_HOSTED_FAILED, async_clear_issue, async_raise_issue
from .untrusted import UntrustedJSONError, integration_refusals, read_object

# Twin of edge_agent/listen_frame/stats.py MAX_SERVICE_STATS_BYTES, HOSTED_STATES,
# MAX_HOSTED_ERROR, and edge_agent/camera/hosted.py MAX_HOSTED (with room to spare).
MAX_SERVICE_STATS_BYTES = 256 * 1024
STATES = ("starting", "running", "restarting", "failed")
MAX_HOSTED = 32
# listen_frame instances followed per base topic, at most (anyone can publish a stats topic).
MAX_INSTANCES = 64
MAX_ERROR_CHARS = 160
MAX_RESTARTS = 2**53
# What an error shown in an issue keeps: no URL (listen_frame sends none), no markdown link,
# image or HTML, no placeholder braces.
_URL = re.compile(r"\S+://\S*")
_NOT_SHOWN = re.compile(r"[\[\]<>{}`\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class HostedState:
    """One camera as the instance that runs it says it."""

    state: str
    restarts: int
    last_error: str | None

    @classmethod
    def parse(cls, data: Any) -> HostedState | None:
        """A `hosted` entry, None when it is not what the contract says."""
        if not isinstance(data, dict):
            return None
        state, restarts, error = data.get("state"), data.get("restarts"), data.get("last_error")
        if state not in STATES:
            return None
        if isinstance(restarts, bool) or not isinstance(restarts, int) or not 0 <= restarts <= MAX_RESTARTS:
            return None
        if error is not None and not isinstance(error, str):
            return None
        if error is not None:
            shown = _NOT_SHOWN.sub(" ", _URL.sub("(a URL)", error[: MAX_ERROR_CHARS * 2]))
            error = " ".join(shown.split())[:MAX_ERROR_CHARS]
        return cls(state, restarts, error or None)

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics."""
        return {"state": self.state, "restarts": self.restarts, "last_error": self.last_error}


def parse_hosted(data: Mapping[str, Any]) -> dict[str, HostedState]:
    """The `hosted` object of a service stats message ({} from a listen_frame without it);
    ValueError when it is not an object of at most MAX_HOSTED well-formed cameras."""
    hosted = data.get("hosted")
    if hosted is None:
        return {}
    if not isinstance(hosted, dict) or len(hosted) > MAX_HOSTED:
        raise ValueError(f"hosted is not an object of at most {MAX_HOSTED} cameras")
    out = {}
    for cam, entry in hosted.items():
        state = HostedState.parse(entry)
        if not valid_camera_id(cam) or state is None:
            raise ValueError("a hosted camera that is not well formed")
        out[cam] = state
    return out


def _issue_key(base: str, cam: str) -> str:
    return f"{re.sub(r'[^a-z0-9_]', '_', base.lower())}_{cam}"


class HostedCameras:
    """The cameras every followed listen_frame instance runs, and their repair issues."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing followed yet."""
        self.hass = hass
        self.refusals = integration_refusals(hass)
        # base topic -> [entries following it, its unsubscribes]
        self._bases: dict[str, tuple[list[int], list[CALLBACK_TYPE]]] = {}
        # (base, instance) -> camera -> its state
        self.instances: dict[tuple[str, str], dict[str, HostedState]] = {}
        # base -> the cameras that have an issue raised
        self._raised: dict[str, set[str]] = {}

    async def async_follow(self, base: str) -> CALLBACK_TYPE:
        """Follow the instances under `base` (once per base); returns the entry's release."""
        if (held := self._bases.get(base)) is None:
            held = self._bases[base] = ([0], [])

            @callback
            def on_stats(msg: mqtt.ReceiveMessage) -> None:
                self._on_stats(base, msg)

            @callback
            def on_availability(msg: mqtt.ReceiveMessage) -> None:
                self._on_availability(base, msg)

            try:
                for topic, handler in (("stats", on_stats), ("availability", on_availability)):
                    held[1].append(
                        await mqtt.async_subscribe(self.hass, f"{base}/listen_frame/+/{topic}", handler, 1)
                    )
            except BaseException:
                del self._bases[base]
                for unsub in held[1]:
                    unsub()
                raise
        held[0][0] += 1

        @callback
        def release() -> None:
            held[0][0] -= 1
            if held[0][0] == 0 and self._bases.get(base) is held:
                del self._bases[base]
                for unsub in held[1]:
                    unsub()
                for key in [k for k in self.instances if k[0] == base]:
                    del self.instances[key]
                self._update(base)

        return release

    # ---- what arrives -------------------------------------------------------------------------

    @staticmethod
    def _instance(base: str, topic: str) -> str | None:
        instance = topic[len(base) + len("/listen_frame/") :].rsplit("/", 1)[0]
        return instance if valid_instance(instance) else None

    @callback
    def _on_stats(self, base: str, msg: mqtt.ReceiveMessage) -> None:
        if (instance := self._instance(base, msg.topic)) is None:
            return
        if not msg.payload:  # the retained stats cleared: the instance is gone
            self.instances.pop((base, instance), None)
            self._update(base)
            return
        try:
            hosted = parse_hosted(read_object(msg.payload, max_bytes=MAX_SERVICE_STATS_BYTES))
        except (UntrustedJSONError, ValueError) as err:
            self.refusals.refuse(
                "hosted_malformed", "ignoring the service stats on %s: %s", msg.topic, str(err)[:100]
            )
            return
        if hosted and (base, instance) not in self.instances and self._count(base) >= MAX_INSTANCES:
            self.refusals.refuse(
                "hosted_instances",
                "ignoring %s: more than %s instances run cameras",
                msg.topic,
                MAX_INSTANCES,
            )
            return
        if hosted:
            self.instances[(base, instance)] = hosted
        else:
            self.instances.pop((base, instance), None)
        self._update(base)

    def _count(self, base: str) -> int:
        return sum(1 for b, _ in self.instances if b == base)

    @callback
    def _on_availability(self, base: str, msg: mqtt.ReceiveMessage) -> None:
        # An instance offline runs no camera (its stats stay retained with their last state).
        instance = self._instance(base, msg.topic) if msg.payload == OFFLINE else None
        if instance is not None and self.instances.pop((base, instance), None) is not None:
            self._update(base)

    # ---- the issues ---------------------------------------------------------------------------

    def _camera_name(self, base: str, cam: str) -> str:
        for entry in self.hass.config_entries.async_entries(DOMAIN):
            if entry.data.get(CONF_CAMERA_ID) == cam and entry.data.get(CONF_BASE_TOPIC) == base:
                return entry.title
        return cam

    @callback
    def _update(self, base: str) -> None:
        """Raise (or update) the issue of each failing camera under `base`; clear the others'."""
        by_camera: dict[str, list[tuple[str, HostedState]]] = {}
        for (b, instance), cameras in self.instances.items():
            if b == base:
                for cam, state in cameras.items():
                    by_camera.setdefault(cam, []).append((instance, state))
        raised = self._raised.setdefault(base, set())
        failing = set()
        for cam, states in by_camera.items():
            if any(s.state == "running" for _, s in states):
                continue
            failed = [(instance, s) for instance, s in sorted(states) if s.state == "failed"]
            if not failed:
                continue
            instance, state = failed[0]
            failing.add(cam)
            async_raise_issue(
                self.hass,
                _issue_key(base, cam),
                ISSUE_HOSTED_FAILED,
                self._camera_name(base, cam),
                camera_id=cam,
                service=f"listen_frame/{instance}",
                error=state.last_error or "no reason given",
                restarts=str(state.restarts),
            )
        for cam in raised - failing:
            async_clear_issue(self.hass, _issue_key(base, cam), ISSUE_HOSTED_FAILED)
        self._raised[base] = failing

    # ---- diagnostics --------------------------------------------------------------------------

    def diagnostics(self, base: str, cam: str) -> dict[str, Any] | None:
        """The camera's state per instance that runs it (None: no instance runs it)."""
        out = {
            f"listen_frame/{instance}": cameras[cam].as_dict()
            for (b, instance), cameras in sorted(self.instances.items())
            if b == base and cam in cameras
        }
        return out or None


DATA_HOSTED: HassKey[HostedCameras] = HassKey(f"{DOMAIN}_hosted")


def hosted_cameras(hass: HomeAssistant) -> HostedCameras:
    """The integration's one HostedCameras."""
    if (hosted := hass.data.get(DATA_HOSTED)) is None:
        hosted = hass.data[DATA_HOSTED] = HostedCameras(hass)
    return hosted
