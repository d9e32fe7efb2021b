"""Health of a camera's detection service: when its problems start and end (repairs.py raises
them as repair issues).

The "Detection service" sensor follows what `_find_problem` says at once (availability, stats,
acknowledgements); a problem becomes a repair issue only once it has lasted ISSUE_DELAY, so that
a restart of the service does not raise one.

`ServiceHealth` is given what it needs and nothing more: the camera's identity when it is made,
the events that concern it (a service's availability, a set published or acknowledged, a command
sent or answered) and the camera's parsed state (coordinator.py `CameraState`) when it judges.
It returns its conclusion as a `HealthState`; runtime.py pushes it to the entities. It never calls
back into runtime.py.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .const import (
    ACK_TIMEOUT,
    DEFAULT_STATS_INTERVAL,
    ISSUE_DELAY,
    LOGGER,
    MIN_STATS_TIMEOUT,
    MODE_SMART,
    STARTUP_GRACE,
    STATS_MISSED_INTERVALS,
)
from .coordinator import CameraState, HealthState, Stats
from .repairs import ISSUE_SERVICE_PROBLEM, async_clear_issue, async_raise_issue

# Problems of the detection service, each a repair issue translation key (strings.json "issues").
PROBLEM_OFFLINE = "service_offline"
PROBLEM_ROIS_NOT_ACKED = "rois_not_acknowledged"
PROBLEM_COMMAND_NOT_ACKED = "command_not_acknowledged"
PROBLEM_STATS_STOPPED = "stats_stopped"

# listen_frame names itself `listen_frame/<instance>` in stats, acks and detection states.
LISTEN_FRAME_PREFIX = "listen_frame/"


def now() -> float:
    """Seconds since the epoch; dt_util rather than time.time(): HA's test clock drives it."""
    return dt_util.utcnow().timestamp()


def stats_timeout(stats: Stats | None) -> float:
    """How long the camera may be online without stats before they count as stopped."""
    interval = stats.interval if stats is not None and stats.interval is not None else DEFAULT_STATS_INTERVAL
    return max(STATS_MISSED_INTERVALS * interval, MIN_STATS_TIMEOUT)


def served_by_listen_frame(state: CameraState, at: float) -> bool:
    """Whether a listen_frame sent this camera's stats lately (it detects for the camera)."""
    stats = state.stats
    return (
        stats is not None
        and stats.service is not None
        and stats.service.startswith(LISTEN_FRAME_PREFIX)
        and state.stats_at is not None
        and at - state.stats_at <= stats_timeout(stats)
    )


class ServiceHealth:
    """Availability and answers of the service that detects for one camera, and its problem."""

    def __init__(self, hass: HomeAssistant, entry_id: str, camera_id: str, base_topic: str) -> None:
        """Nothing is known yet; the clock of the start-up grace starts now."""
        self.hass = hass
        self.entry_id = entry_id
        self.camera_id = camera_id
        self.base_topic = base_topic
        self.services: dict[str, bool] = {}
        # When a service last came online: its first stats are judged from then, not from the
        # stats it sent before it restarted.
        self.service_online_since: float | None = None
        self.pending_ack: tuple[int, float] | None = None
        self.pending_command: tuple[str, float] | None = None
        self.problem: str | None = None
        self.problem_since: float | None = None
        self.issue: str | None = None
        self.started_at = now()

    # ---- what arrives -------------------------------------------------------------------------

    @callback
    def on_service_availability(self, instance: str, online: bool) -> None:
        """`<base>/listen_frame/<instance>/availability` said online or offline."""
        name = f"{LISTEN_FRAME_PREFIX}{instance}"
        if online and not self.services.get(name):
            self.service_online_since = now()
        self.services[name] = online

    @callback
    def on_ack(self, version: int | None) -> None:
        """An acknowledgement (ok or not) answers every set up to its version."""
        if self.pending_ack and version is not None and version >= self.pending_ack[0]:
            self.pending_ack = None

    @callback
    def on_command(self, payload: str) -> None:
        """A detection on/off command: the service must answer it on detection/state."""
        self.pending_command = (payload[:64], now() + ACK_TIMEOUT)

    @callback
    def on_command_answered(self) -> None:
        """detection/state came."""
        self.pending_command = None

    @callback
    def on_set_published(self, version: int) -> None:
        """An ROI set goes out: the service must acknowledge it."""
        self.pending_ack = (version, now() + ACK_TIMEOUT)

    @callback
    def on_publish_failed(self, version: int) -> None:
        """The set did not go out after all: no acknowledgement to expect for it."""
        if self.pending_ack and self.pending_ack[0] == version:
            self.pending_ack = None

    # ---- what it means ------------------------------------------------------------------------

    def service_online(self, state: CameraState) -> bool | None:
        """Whether the detection service is online; None while nothing is known yet."""
        if state.mode == MODE_SMART:
            # A smart camera is its own detection service.
            return state.online
        name = state.service_name
        if name in self.services:
            return self.services[name]
        if not self.services:
            return None
        return any(self.services.values())

    def _find_problem(self, state: CameraState, online: bool | None, at: float) -> str | None:
        if online is False or (online is None and at - self.started_at > STARTUP_GRACE):
            return PROBLEM_OFFLINE
        if self.pending_ack and at > self.pending_ack[1]:
            return PROBLEM_ROIS_NOT_ACKED
        if self.pending_command and at > self.pending_command[1]:
            return PROBLEM_COMMAND_NOT_ACKED
        # Stats come only while frames do: judge them only while the camera is online, and from
        # the moment the service (re)started (a restarted service sends its first stats one
        # interval after it came online: the stats from before the restart do not count).
        if state.online and state.online_since is not None:
            since = max(
                state.stats_at or 0.0,
                state.online_since,
                self.service_online_since or 0.0,
                self.started_at,
            )
            if at - since > stats_timeout(state.stats):
                return PROBLEM_STATS_STOPPED
        return None

    @callback
    def evaluate(self, state: CameraState, camera: str) -> HealthState:
        """Recompute the problem; raise, update or clear the repair issue (named after `camera`);
        return what the entities and diagnostics show."""
        at = now()
        online = self.service_online(state)
        problem = self._find_problem(state, online, at)
        if problem != self.problem:
            if problem is None:
                LOGGER.info("The detection service of camera %s answers again", self.camera_id)
            else:
                LOGGER.warning("Detection service of camera %s: %s", self.camera_id, problem)
            self.problem = problem
            self.problem_since = at
        if problem != self.issue and self.issue is not None:
            # The issue says something no longer true (also when another problem waits its delay).
            async_clear_issue(self.hass, self.entry_id, ISSUE_SERVICE_PROBLEM)
            self.issue = None
        if problem is None:
            # Also clears an issue left from before a reload.
            async_clear_issue(self.hass, self.entry_id, ISSUE_SERVICE_PROBLEM)
        elif problem != self.issue and self.problem_since is not None:
            # A service that said offline may be restarting: that waits ISSUE_DELAY before it
            # becomes an issue. The other problems (never heard of, no answer, no stats) have
            # waited their own timeouts already.
            delay = ISSUE_DELAY if problem == PROBLEM_OFFLINE and online is False else 0.0
            if at - self.problem_since >= delay:
                self.issue = problem
                async_raise_issue(
                    self.hass,
                    self.entry_id,
                    ISSUE_SERVICE_PROBLEM,
                    camera,
                    translation_key=problem,
                    base_topic=self.base_topic,
                    camera_id=self.camera_id,
                    service=state.service_name or "listen_frame",
                    timeout=str(int(ACK_TIMEOUT)),
                    stats_timeout=str(int(stats_timeout(state.stats))),
                )
        return HealthState(
            healthy=problem is None and online is True,
            problem=problem,
            issue=self.issue,
            service=state.service_name,
            service_online=online,
            services=dict(self.services),
            pending_ack_version=self.pending_ack[0] if self.pending_ack else None,
            pending_command=self.pending_command[0] if self.pending_command else None,
        )
