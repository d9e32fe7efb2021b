"""Health of a camera's detection service: when its problems start and end (repairs.py raises
them as repair issues).

The "Detection service" sensor follows what `_find_problem` says at once (availability, stats,
acknowledgements); a problem becomes a repair issue only once it has lasted ISSUE_DELAY, so that
a restart of the service does not raise one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import (
    ACK_TIMEOUT,
    DEFAULT_STATS_INTERVAL,
    HEALTH_CHECK_INTERVAL,
    ISSUE_DELAY,
    LOGGER,
    MIN_STATS_TIMEOUT,
    MODE_SMART,
    STARTUP_GRACE,
    STATS_MISSED_INTERVALS,
)
from .repairs import ISSUE_SERVICE_PROBLEM, async_clear_issue, async_raise_issue

if TYPE_CHECKING:
    from .runtime import BobbyRuntimeData

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


class ServiceHealth:
    """Availability, stats and answers of the service that detects for one camera."""

    def __init__(self, runtime: BobbyRuntimeData) -> None:
        """Nothing is known yet; the clock of the start-up grace starts now."""
        self.runtime = runtime
        self.hass = runtime.hass
        self.entry_id = runtime.entry.entry_id
        self.services: dict[str, bool] = {}
        # When a service last came online: its first stats are judged from then, not from the
        # stats it sent before it restarted.
        self.service_online_since: float | None = None
        self.stats: dict[str, Any] | None = None
        self.stats_at: float | None = None
        self.pending_ack: tuple[int, float] | None = None
        self.pending_command: tuple[str, float] | None = None
        self.problem: str | None = None
        self.problem_since: float | None = None
        self.issue: str | None = None
        self.started_at = now()
        # What the entities last showed, to tell them only about changes.
        self._shown: tuple[str | None, bool] = (None, False)

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Check the health every HEALTH_CHECK_INTERVAL; returns the cancel callback."""
        return async_track_time_interval(
            self.hass,
            self._async_tick,
            timedelta(seconds=HEALTH_CHECK_INTERVAL),
            name="bobby_camera health",
            cancel_on_shutdown=True,
        )

    @callback
    def _async_tick(self, _now_dt: datetime) -> None:
        self.evaluate()

    # ---- what arrives -------------------------------------------------------------------------

    @callback
    def on_service_availability(self, instance: str, online: bool) -> None:
        """`<base>/listen_frame/<instance>/availability` said online or offline."""
        name = f"{LISTEN_FRAME_PREFIX}{instance}"
        if online and not self.services.get(name):
            self.service_online_since = now()
        self.services[name] = online
        self.evaluate()

    @callback
    def on_stats(self, stats: dict[str, Any]) -> None:
        """The camera's stats (from whichever service detects for it)."""
        self.stats = stats
        self.stats_at = now()
        self.evaluate()

    @callback
    def on_ack(self, version: Any) -> None:
        """An acknowledgement (ok or not) answers every set up to its version."""
        if self.pending_ack and isinstance(version, int) and version >= self.pending_ack[0]:
            self.pending_ack = None
        self.evaluate()

    @callback
    def on_command(self, payload: str) -> None:
        """A detection on/off command: the service must answer it on detection/state."""
        self.pending_command = (payload[:64], now() + ACK_TIMEOUT)

    @callback
    def on_command_answered(self) -> None:
        """detection/state came."""
        self.pending_command = None
        self.evaluate()

    @callback
    def on_set_published(self, version: int) -> None:
        """An ROI set went out: the service must acknowledge it."""
        self.pending_ack = (version, now() + ACK_TIMEOUT)

    # ---- what it means ------------------------------------------------------------------------

    @property
    def service_name(self) -> str | None:
        """The service that serves this camera, as it names itself in stats and acks."""
        for message in (self.stats, self.runtime.last_ack, self.runtime.detection_state):
            if isinstance(name := (message or {}).get("service"), str):
                return name
        return None

    @property
    def served_by_listen_frame(self) -> bool:
        """Whether a listen_frame sent this camera's stats lately (it detects for the camera)."""
        name = (self.stats or {}).get("service")
        return (
            isinstance(name, str)
            and name.startswith(LISTEN_FRAME_PREFIX)
            and self.stats_at is not None
            and now() - self.stats_at <= self.stats_timeout
        )

    @property
    def service_online(self) -> bool | None:
        """Whether the detection service is online; None while nothing is known yet."""
        if self.runtime.mode == MODE_SMART:
            # A smart camera is its own detection service.
            return self.runtime.camera_online
        name = self.service_name
        if name in self.services:
            return self.services[name]
        if not self.services:
            return None
        return any(self.services.values())

    @property
    def stats_timeout(self) -> float:
        """How long the camera may be online without stats before they count as stopped."""
        interval = (self.stats or {}).get("interval")
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not 0 < interval < 1e6:
            interval = DEFAULT_STATS_INTERVAL
        return max(STATS_MISSED_INTERVALS * float(interval), MIN_STATS_TIMEOUT)

    @property
    def healthy(self) -> bool:
        """The connectivity sensor's state: online and answering."""
        return self.problem is None and self.service_online is True

    def _find_problem(self, at: float) -> str | None:
        online = self.service_online
        if online is False or (online is None and at - self.started_at > STARTUP_GRACE):
            return PROBLEM_OFFLINE
        if self.pending_ack and at > self.pending_ack[1]:
            return PROBLEM_ROIS_NOT_ACKED
        if self.pending_command and at > self.pending_command[1]:
            return PROBLEM_COMMAND_NOT_ACKED
        # Stats come only while frames do: judge them only while the camera is online, and from
        # the moment the service (re)started (a restarted service sends its first stats one
        # interval after it came online: the stats from before the restart do not count).
        runtime = self.runtime
        if runtime.camera_online and runtime.camera_online_since is not None:
            since = max(
                self.stats_at or 0.0,
                runtime.camera_online_since,
                self.service_online_since or 0.0,
                self.started_at,
            )
            if at - since > self.stats_timeout:
                return PROBLEM_STATS_STOPPED
        return None

    @callback
    def evaluate(self) -> None:
        """Recompute the problem; raise, update or clear the repair issue; tell the entities."""
        at = now()
        problem = self._find_problem(at)
        runtime = self.runtime
        if problem != self.problem:
            if problem is None:
                LOGGER.info("The detection service of camera %s answers again", runtime.camera_id)
            else:
                LOGGER.warning("Detection service of camera %s: %s", runtime.camera_id, problem)
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
            delay = ISSUE_DELAY if problem == PROBLEM_OFFLINE and self.service_online is False else 0.0
            if at - self.problem_since >= delay:
                self.issue = problem
                async_raise_issue(
                    self.hass,
                    self.entry_id,
                    ISSUE_SERVICE_PROBLEM,
                    runtime.name,
                    translation_key=problem,
                    base_topic=runtime.base_topic,
                    camera_id=runtime.camera_id,
                    service=self.service_name or "listen_frame",
                    timeout=str(int(ACK_TIMEOUT)),
                    stats_timeout=str(int(self.stats_timeout)),
                )
        if (self.problem, self.healthy) != self._shown:
            self._shown = (self.problem, self.healthy)
            runtime.notify()
