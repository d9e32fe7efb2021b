"""Cameras hosted by another process: IP cameras run as dumb cameras beside listen_frame.

A `cameras:` list (listen_frame's config file, the add-on's `cameras` option) names cameras by
their `source`, an `rtsp://` stream or an `http(s)://` MJPEG stream or snapshot URL (any source
`bobby-edge camera` takes works). Each runs the dumb camera's code (`camera/dumb.py`: announce,
availability, frames over MQTT, the stream switch) in a child process of its own, supervised
with `supervisor.py`'s one policy:

- a camera whose source does not open says why (`Fatal`, e.g. "the camera refused the login
  (401)"), and is started again after a backoff (2 s doubling to 60 s; never given up: a camera
  off for a night comes back in the morning);
- a stream that drops is re-connected inside the child (backoff 1 s to 30 s); after
  `stall_timeout` seconds (20) without a frame the child exits and is restarted as above, and its
  availability is `offline` meanwhile (its clean stop, or its Last Will);
- a child silent (no heartbeat) for `HEARTBEAT_TIMEOUT` is killed and restarted;
- one camera failing never stops another, nor listen_frame's detection (other processes);
- each camera's state (`status()`: starting, running, restarting, failed; restarts; the last
  error) goes out in listen_frame's service stats, `hosted` (docs/mqtt.md, stats), which Home
  Assistant shows (a repair issue for a camera that fails).

Secrets: a source URL may carry a login (`rtsp://user:pass@host/...`). It reaches the child
through the process's pipe (multiprocessing's spawn pickles the arguments: nothing on a command
line, so not in `ps`), and every message shows it through `redact_url`; the processes here also
redact the sources' passwords from every log line (`SecretsFilter`). The announce carries no
source (docs/mqtt.md, announce: `platform` says `rtsp`, `mjpeg` or `snapshot`).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import voluptuous as vol

from edge_agent.ids import CAMERA_ID_RULE, valid_camera_id
from edge_agent.mqtt.broker import BrokerSettings, redact_url
from edge_agent.supervisor import (
    ChildProcess,
    Fatal,
    Heartbeat,
    Ready,
    RestartPolicy,
    Stop,
    Supervised,
    child_setup,
)

if TYPE_CHECKING:  # imported in the child only: the parent never loads a source's libraries
    from edge_agent.camera.sources.base import FrameSource

log = logging.getLogger(__name__)

MAX_HOSTED = 16  # cameras one process hosts at most
GIVE_UP_AFTER = 20.0  # a stream without a frame this long: its child exits and is restarted
HEARTBEAT_EVERY = 5.0
HEARTBEAT_TIMEOUT = 60.0  # generous: opening a stream takes up to its open timeout (10 s)
STOP_TIMEOUT = 12.0  # a child's clean stop: its source's reader ends within its read timeout


def _camera_id(value: Any) -> str:
    if not valid_camera_id(value):
        raise vol.Invalid(f"expected {CAMERA_ID_RULE}, got {value!r}")
    return str(value)


def _source(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise vol.Invalid("expected an rtsp://, http:// or https:// URL (or any camera source)")
    return value.strip()


def _side(value: Any) -> int | None:
    if value is None or value == 0:
        return None  # the source's own size (camera/sources/frame_size.py)
    if isinstance(value, bool) or not isinstance(value, int) or not 16 <= value <= 4096:
        raise vol.Invalid(f"expected an integer from 16 to 4096 (or 0: the source's), got {value!r}")
    return value


def _number(low: float, high: float) -> Any:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise vol.Invalid(f"expected a number from {low} to {high}, got {value!r}")
        return float(value)

    return check


def _quality(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise vol.Invalid(f"expected an integer from 1 to 100, got {value!r}")
    return value


# One camera of a `cameras:` list; the add-on's config.yaml declares the same keys (a test
# compares them). Errors never quote a source (it may hold a password).
CAMERA_ENTRY = vol.Schema(
    {
        vol.Required("id"): _camera_id,
        vol.Optional("name", default=None): vol.Any(None, vol.All(str, vol.Length(max=100))),
        vol.Required("source"): _source,
        vol.Optional("fps", default=2.0): _number(0.1, 30.0),
        vol.Optional("width", default=None): _side,
        vol.Optional("height", default=None): _side,
        vol.Optional("quality", default=80): _quality,
        # A stream without a frame this long: the camera's process exits and is restarted.
        vol.Optional("stall_timeout", default=GIVE_UP_AFTER): _number(2.0, 600.0),
    },
    extra=vol.REMOVE_EXTRA,
)


def _unique_ids(cameras: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    for cam in cameras:
        if cam["id"] in seen:
            raise vol.Invalid(f"camera id {cam['id']!r} is used twice")
        seen.add(cam["id"])
    return cameras


CAMERAS = vol.All(
    vol.Any(None, [CAMERA_ENTRY]),
    lambda v: v or [],
    vol.Length(max=MAX_HOSTED, msg=f"at most {MAX_HOSTED} cameras"),
    _unique_ids,
)


@dataclass(frozen=True)
class HostedCamera:
    """One hosted camera's settings; `source` is a secret (never in repr, logs or ps)."""

    id: str
    source: str = field(repr=False)
    name: str | None = None
    fps: float = 2.0
    width: int | None = None
    height: int | None = None
    quality: int = 80
    stall_timeout: float = GIVE_UP_AFTER

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> HostedCamera:
        return cls(**CAMERA_ENTRY(entry))

    @property
    def shown_source(self) -> str:
        return redact_url(self.source)

    def public(self) -> dict[str, Any]:
        """For --dry-run and logs: everything, the source's password hidden."""
        return {
            "id": self.id,
            "name": self.name,
            "source": self.shown_source,
            "fps": self.fps,
            "width": self.width,
            "height": self.height,
            "quality": self.quality,
            "stall_timeout": self.stall_timeout,
        }

    def secrets(self) -> set[str]:
        """The password (and user) of the source URL, as written and percent-decoded."""
        try:
            parts = urlsplit(self.source)
            password = parts.password
        except ValueError:
            return set()
        return {s for s in (password, unquote(password or "")) if s and len(s) >= 3}


class SecretsFilter(logging.Filter):
    """Hides given secrets (and every URL's password) in each log record, whoever logs it."""

    def __init__(self, secrets: set[str]) -> None:
        super().__init__()
        self.secrets = sorted(secrets, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            return True
        clean = redact_url(text)
        for secret in self.secrets:
            clean = clean.replace(secret, "***")
        if clean != text:
            record.msg, record.args = clean, None
        return True


def install_secrets_filter(secrets: set[str]) -> SecretsFilter:
    """On every handler of the root logger (a filter on a logger would miss its children)."""
    filt = SecretsFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(filt)
    return filt


# --- the child ------------------------------------------------------------------------------------


def run_camera(
    conn: Connection,
    events: Connection,
    cam: HostedCamera,
    broker: BrokerSettings,
    base_topic: str,
    log_level: int,
) -> None:
    """A hosted camera's process: open the source, say Ready (or Fatal: why), run the dumb camera."""
    child_setup(log_level)
    secrets_filter = install_secrets_filter(cam.secrets())
    send_lock = threading.Lock()

    def send(msg: object) -> None:
        with send_lock:
            try:
                events.send(msg)
            except (BrokenPipeError, EOFError, OSError):
                pass

    stop = threading.Event()
    opened: list[FrameSource] = []  # the source, once made: closed at once on Stop

    def halt() -> None:
        stop.set()
        for src in opened:
            src.close()  # a read blocked on the network (a snapshot's timeout) returns now

    def control() -> None:
        """Heartbeats out; Stop (or the parent gone) in."""
        while not stop.is_set():
            try:
                if conn.poll(HEARTBEAT_EVERY) and isinstance(conn.recv(), Stop):
                    halt()
                    return
            except (EOFError, OSError):
                halt()  # the parent died: stop cleanly (offline published)
                return
            send(Heartbeat(time.time()))

    threading.Thread(target=control, name="control", daemon=True).start()

    from edge_agent.camera.config import CAMERA_SCHEMA, CameraConfig
    from edge_agent.camera.dumb import DumbCamera
    from edge_agent.camera.sources.base import SourceError
    from edge_agent.camera.sources.spec import make_source

    try:
        # Asked nothing, the frames keep the source's own shape (camera/sources/frame_size.py).
        asked = None if cam.width is None and cam.height is None else (cam.width, cam.height)
        source = make_source(
            cam.source, asked, cam.fps, jpeg=True, quality=cam.quality, give_up_after=cam.stall_timeout
        )
        opened.append(source)
        source.open()
        settings: dict[str, Any] = {
            "source": cam.source,
            "camera_id": cam.id,
            "name": cam.name,
            "base_topic": base_topic,
            "fps": cam.fps,
            "quality": cam.quality,
            # What the source gives once open: the announce says it, frames are encoded at it.
            "width": source.size[0],
            "height": source.size[1],
        }
        cfg = CameraConfig.from_validated(CAMERA_SCHEMA(settings), env={})
    except (SourceError, vol.Invalid, ValueError) as err:
        send(Fatal(redact_url(str(err))))
        raise SystemExit(1) from None
    send(Ready({"platform": source.platform, "size": list(source.size)}))
    last_error = LastError(secrets_filter)
    logging.getLogger().addHandler(last_error)
    code = DumbCamera(cfg, source, broker, stop).run()
    if code and last_error.message:
        send(Fatal(last_error.message))  # why it stopped, for the host's restart line
    raise SystemExit(code)


class LastError(logging.Handler):
    """Keeps the last ERROR line a camera's process logged (its password hidden)."""

    def __init__(self, secrets: SecretsFilter) -> None:
        super().__init__(logging.ERROR)
        self.secrets = secrets
        self.message: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.secrets.filter(record)
            self.message = record.getMessage()[:300]
        except (TypeError, ValueError):
            pass


# --- the parent -----------------------------------------------------------------------------------


@dataclass
class CameraRun:
    """What the host knows of one camera: its supervision, state and last error."""

    cam: HostedCamera
    supervised: Supervised
    # starting (its first try), running, restarting (it ran, then stopped: tried again),
    # failed (its last try did not open the source: tried again after the backoff)
    state: str = "starting"
    error: str | None = None
    last_error: str | None = None  # why it last stopped or failed (redacted); None once running
    info: dict[str, Any] = field(default_factory=dict)


class CameraHost:
    """Hosts cameras in supervised children; `start()`, then `stop()` (a thread watches them)."""

    def __init__(
        self,
        cameras: list[HostedCamera],
        broker: BrokerSettings,
        base_topic: str,
        *,
        heartbeat_timeout: float = HEARTBEAT_TIMEOUT,
    ) -> None:
        self.broker = broker
        self.base_topic = base_topic
        self.log_level = logging.getLogger().getEffectiveLevel()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.runs: dict[str, CameraRun] = {}
        secrets: set[str] = set()
        for cam in cameras:
            secrets |= cam.secrets()
            self.runs[cam.id] = CameraRun(
                cam,
                Supervised(
                    f"camera {cam.id}",
                    functools.partial(self._spawn, cam),
                    # Never given up: the window is too short for max_restarts at any backoff.
                    RestartPolicy(
                        first=2.0, longest=60.0, stable_after=120.0, max_restarts=1_000_000, window=1.0
                    ),
                    heartbeat_timeout=heartbeat_timeout,
                ),
            )
        self.filter = install_secrets_filter(secrets) if secrets else None

    def _spawn(self, cam: HostedCamera) -> ChildProcess:
        return ChildProcess(
            run_camera,
            (cam, self.broker, self.base_topic, self.log_level),
            f"bobby-camera-{cam.id}",
            events=True,
        )

    def start(self) -> None:
        for run in self.runs.values():
            log.info(
                "camera %s: starting (source %s, %.1f fps)", run.cam.id, run.cam.shown_source, run.cam.fps
            )
            run.supervised.start()
        self._thread = threading.Thread(target=self._watch, name="camera-host", daemon=True)
        self._thread.start()

    def _drain(self, run: CameraRun) -> None:
        child = run.supervised.child
        if child is None:
            return
        try:
            while child.reports.poll(0):
                msg = child.reports.recv()
                child.beat()
                if isinstance(msg, Ready):
                    child.accept(msg)
                    run.info, run.error, run.last_error = msg.info, None, None
                    if run.state != "running":
                        log.info(
                            "camera %s: running (%s, %dx%d)",
                            run.cam.id,
                            msg.info.get("platform"),
                            *(msg.info.get("size") or (0, 0)),
                        )
                    run.state = "running"
                elif isinstance(msg, Fatal):
                    run.error = msg.message
        except (EOFError, OSError):
            pass  # it exited: problem() says so

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            now = time.monotonic()
            with self._lock:
                for run in self.runs.values():
                    sup = run.supervised
                    self._drain(run)
                    reason = sup.problem(now)
                    if reason is not None:
                        self._drain(run)  # what it said just before it exited
                        run.last_error = run.error or reason
                        if run.error:
                            reason = f"{reason}: {run.error}"
                        # A camera that was running restarts; one whose try did not open failed.
                        run.state = "restarting" if run.state == "running" else "failed"
                        sup.failed(reason, now, kill=True, stop_timeout=2.0)
                    elif sup.due(now):
                        run.error = None
                        sup.restart()

    def status(self) -> dict[str, dict[str, Any]]:
        """Per camera: state, restarts, errors (redacted), source (redacted).

        `error`: what the running child said; `last_error`: why it last stopped or failed to open
        (kept through the backoff and the next try, until it runs)."""
        with self._lock:
            return {
                cam_id: {
                    "state": run.state,
                    "restarts": run.supervised.restarts,
                    "error": run.error,
                    "last_error": run.last_error,
                    "source": run.cam.shown_source,
                    **run.info,
                }
                for cam_id, run in self.runs.items()
            }

    @property
    def secrets(self) -> list[str]:
        """The sources' passwords (what the published state must never hold)."""
        return list(self.filter.secrets) if self.filter is not None else []

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            children = [run.supervised.child for run in self.runs.values() if run.supervised.child]
            for run in self.runs.values():
                run.supervised.child = None
            for child in children:  # all asked at once, so that they stop side by side
                child.send(Stop())
            for child in children:
                child.stop(STOP_TIMEOUT)
