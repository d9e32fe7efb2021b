"""The smart camera: detects on the device and publishes what listen_frame would (docs/mqtt.md).

This process keeps the MQTT side (paho's thread), the HTTP live view (aiohttp's thread), person
debouncing and stats. Capture, detection, drawing and recording run in a child process
(`pipeline.py`), so that whatever the detector does, MQTT stays responsive.

- An ROI set is validated here (a malformed one is refused with the reason, the running set
  stays), then sent to the running child over a pipe; it is acknowledged on `rois/applied` when
  the child confirms, and the time that took is logged and reported in stats (`rois_apply_ms`).
- The child is restarted (with backoff) only when it dies, stops sending heartbeats, or reports a
  fatal error; `child_restarts` counts it. The policy is edge_agent.supervisor's, the same as
  listen_frame's workers'; a detector that keeps dying is given up and the camera exits with 1.
- What it publishes about the camera is the same as listen_frame's (edge_agent.mqtt.channel),
  visits included (docs/mqtt.md, "events"): `SmartVisits` below follows the person states and the
  results with edge_agent.events.VisitTracker, asks the detector process to record each visit's
  clip and write its best snapshot, and publishes `bobby/<cam>/event` (`store: "camera"`: the
  files are served by this camera's HTTP server, `GET /events/<id>.mp4` …, http.py).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt

from edge_agent import __version__
from edge_agent.camera import pipeline_messages as pm
from edge_agent.camera.config import CameraConfig
from edge_agent.camera.dumb import connect
from edge_agent.camera.pipeline import run_pipeline
from edge_agent.camera.roi_store import RoiStore
from edge_agent.camera.smart_stats import cpu_temperature, smart_stats, smart_status
from edge_agent.camera.smart_visits import SmartVisits
from edge_agent.detect.rois import MAX_SET_BYTES, DetectionSettings, RoiSet
from edge_agent.mqtt import discovery
from edge_agent.mqtt.broker import BrokerSettings
from edge_agent.mqtt.channel import CameraChannel, ChannelHooks, ChannelSettings
from edge_agent.mqtt.client import ManagedClient, client_id, packet_size_for_payload
from edge_agent.mqtt.messages import CommandError, Forget, SwitchState, detections_json
from edge_agent.mqtt.routing import TopicRouter, home_assistant_message
from edge_agent.mqtt.switch import Switch
from edge_agent.mqtt.topics import OFFLINE, ONLINE, Topics
from edge_agent.procinfo import rss_mb
from edge_agent.ratelimit import RateLimitedLog
from edge_agent.sd_notify import notify
from edge_agent.supervisor import ChildProcess, Fatal, Heartbeat, Ready, RestartPolicy, Stop, Supervised

if TYPE_CHECKING:
    from edge_agent.camera.http import FrameHub, LiveServer  # aiohttp: only with the live view

log = logging.getLogger(__name__)

HEARTBEAT_TIMEOUT = 20.0  # a child silent this long is taken as hung and restarted


def restart_policy() -> RestartPolicy:
    """The detector process' (edge_agent.supervisor): 1, 2, 4 … 30 s after dying again within a
    minute of its start; given up after 10 restarts within 10 minutes, and then the camera exits
    with status 1 (systemd's Restart=on-failure, Docker's or the add-on's restart take over)."""
    return RestartPolicy(first=1.0, longest=30.0, stable_after=60.0, max_restarts=10, window=600.0)


class SmartCamera:
    def __init__(
        self, cfg: CameraConfig, broker: BrokerSettings, stop: threading.Event | None = None
    ) -> None:
        from edge_agent.detect.model import resolve_model

        self.cfg = cfg
        self.cam = cfg.camera_id
        self.name = cfg.display_name
        self.topics = Topics(cfg.base_topic)
        self.service_id = f"camera/{self.cam}"
        self.stop_event = stop or threading.Event()
        self.model_path = str(resolve_model(cfg.model))
        # The frames' size, told by the detector process once its source is open (Ready): the
        # source's aspect (sources/frame_size.py); None until then (the announce says null).
        self.size: tuple[int, int] | None = None
        self.motion = cfg.motion_settings()
        self.record = cfg.record_settings()
        self.http_settings = cfg.http_settings()
        self.lock = threading.RLock()
        self.bad = RateLimitedLog(log, interval=10.0)
        # The last good ROI set, kept on disk: a malformed retained set after a restart is refused
        # and must not leave the camera with no regions.
        self.roi_store = RoiStore(cfg.state_path() / f"{self.cam}.rois.json", self.bad)
        roi_set = self.roi_store.load() or RoiSet(
            detection=replace(DetectionSettings(), threshold=cfg.threshold)
        )
        self.pending_rois: dict[int, float] = {}  # version -> sent_at, waiting for the child
        self.last_apply_ms: float | None = None
        self.child: ChildProcess | None = None
        self.reader: threading.Thread | None = None  # the current child's reader
        self.child_started_at = 0.0
        self.supervised = Supervised(
            "detector process", self._spawn_child, restart_policy(), heartbeat_timeout=HEARTBEAT_TIMEOUT
        )
        self.child_restarts = 0
        self.platform = "unknown"
        self.counters = {"clips": 0}
        self.visits = SmartVisits(
            self.cam,
            self.service_id,
            self.record,
            # Removed in HA (a `forget`): nothing published any more, visits included.
            publish=lambda payload: (
                self.forgotten or self.mqtt.publish(self.topics.event(self.cam), payload, qos=1)
            ),
            send=self._send_child,
            state_file=cfg.state_path() / f"{self.cam}.visit.json",
        )
        self.child_stats: dict[str, Any] = {}
        self.window = {"analysed": 0, "e2e_ms": 0.0}
        self.last_person_at: float | None = None
        self.http: LiveServer | None = None
        self.hub: FrameHub | None = None
        # Removed in Home Assistant (a live `forget`, docs/mqtt.md): quiet until restarted.
        self.forgotten = False
        self.mqtt = ManagedClient(
            broker,
            # The dumb camera's id too: a camera switched between modes takes over its old session.
            client_id=client_id("camera", self.cam),
            # It receives commands and ROI sets only: the broker drops anything larger.
            max_packet_size=packet_size_for_payload(MAX_SET_BYTES),
            will=(self.topics.availability(self.cam), OFFLINE),
            on_connected=self._subscribe_and_announce,
            on_message=self._route_own,
        )
        self.broker = broker
        self.channel = CameraChannel(
            self.mqtt,
            self.cam,
            ChannelSettings(
                self.topics,
                self.service_id,
                discovery_prefix=cfg.discovery_prefix if cfg.discovery else None,
                snapshot_interval=cfg.snapshot_interval,
                discovery_model="smart camera",
                discovery_sw_version=__version__,
                discovery_extra_sensors=discovery.SMART_CAMERA_SENSORS,
                own_availability=self.topics.availability(self.cam),
            ),
            roi_set,
            ChannelHooks(
                apply_rois=self._apply_rois,
                on_detection=self._on_detection,
                on_person=self._on_person,
                name=lambda: self.name,
                # HA deleted the device (its MQTT integration emptied our discovery): the same
                # retained `forget` HA's integration sends, which comes back to _on_forget.
                removed_in_ha=lambda: self.mqtt.publish(
                    self.topics.forget(self.cam),
                    Forget(by=self.service_id, reason="device deleted in Home Assistant").to_json(),
                    qos=1,
                    retain=True,
                ),
            ),
            bad=self.bad,
        )
        self.stream_switch = Switch(
            "streaming",
            self.mqtt,
            self.topics.stream_state(self.cam),
            bad=self.bad,
            counters=self.channel.counters,
            label=self.cam,
        )
        # Our own camera's topics: the channel's, and the stream switch, which only a camera has.
        routes = {rest: getattr(self.channel, method) for rest, method in CameraChannel.ROUTES.items()}
        routes |= {"stream/set": self.stream_switch.on_set, "stream/state": self.stream_switch.on_state}
        routes["forget"] = self._on_forget
        self.router = TopicRouter(
            self.topics, {rest: self._for_us(handler) for rest, handler in routes.items()}
        )

    @property
    def roi_set(self) -> RoiSet:
        return self.channel.roi_set

    @property
    def detection(self) -> SwitchState:
        return self.channel.detection

    @property
    def stream(self) -> SwitchState:
        return self.stream_switch.state

    # ---- MQTT ------------------------------------------------------------------------------

    def announce(self) -> dict[str, Any]:
        from edge_agent.camera.http import live_urls

        stream_url, snapshot_url = live_urls(self.http, self.broker.host)
        return {
            "id": self.cam,
            "name": self.name,
            "mode": "smart",
            "resolution": list(self.size) if self.size else None,
            "fps": float(self.cfg.fps),
            "sw_version": __version__,
            "platform": self.platform,
            "stream_url": stream_url,
            "snapshot_url": snapshot_url,
        }

    def _state_topics(self) -> tuple[str, ...]:
        """Our retained state from an earlier run, read before anything is published."""
        t = self.topics
        return (
            t.detection_state(self.cam),
            t.stream_state(self.cam),
            t.person(self.cam),
            t.person(self.cam, "+"),
        )

    def _subscribe_and_announce(self, mc: ManagedClient) -> None:
        t = self.topics
        if self.forgotten:
            return  # removed in HA: not offered again before a restart (no announce, no discovery)
        # Announcing itself again clears a `forget` left on the broker: before subscribing to it,
        # so that the old marker is not read back (docs/mqtt.md, forget).
        mc.publish(t.forget(self.cam), b"", qos=1, retain=True)
        for topic in (
            t.stream_set(self.cam),
            t.detection_set(self.cam),
            t.rois(self.cam),
            t.forget(self.cam),
        ):
            mc.subscribe(topic, qos=1)
        if self.cfg.discovery:
            mc.subscribe(f"{self.cfg.discovery_prefix}/status", qos=1)
        mc.publish(t.announce(self.cam), json.dumps(self.announce()), qos=1, retain=True)
        mc.publish(t.availability(self.cam), ONLINE, qos=1, retain=True)
        if self.channel.settled:
            self.stream_switch.publish()
            self.channel.reconnected()
        else:
            for topic in self._state_topics():
                mc.subscribe(topic, qos=1)

    def _route_own(self, msg: mqtt.MQTTMessage) -> None:
        prefix = self.cfg.discovery_prefix if self.cfg.discovery else None
        if not home_assistant_message(
            msg,
            prefix,
            lambda: [self.channel] if self.channel.settled else [],
            lambda cam: self.channel if cam == self.cam else None,
        ):
            self.router.dispatch(msg)

    def _on_forget(self, msg: mqtt.MQTTMessage) -> None:
        """Removed in Home Assistant: discovery and retained state emptied, quiet until restarted.

        Only a live forget counts: a retained one predates our start (we cleared it then).
        """
        if not msg.payload or msg.retain or self.forgotten:
            return
        try:
            forget = Forget.parse(msg.payload)
        except CommandError as err:
            self.channel.counters["bad_forget"] += 1
            self.bad.warning("forget", "%s: refused the forget: %s", self.cam, err)
            return
        self.forgotten = True
        log.warning(
            "%s: removed in Home Assistant (by %s): discovery and retained state emptied, nothing "
            "published until this camera is restarted (then it is offered again)",
            self.cam,
            forget.by or "someone",
        )
        t = self.topics
        extra = [t.stream_state(self.cam), t.announce(self.cam), t.availability(self.cam)]
        self.channel.forget(extra)
        self.roi_store.clear()  # restarted, it is a new camera for HA: its ROI versions start again

    def _for_us(self, handler: Callable[[mqtt.MQTTMessage], None]) -> Callable[[str, mqtt.MQTTMessage], None]:
        def route(cam: str, msg: mqtt.MQTTMessage) -> None:
            if cam == self.cam and not self.forgotten:  # removed in HA: no commands either
                handler(msg)

        return route

    def _finish_state_wait(self) -> None:
        if self.channel.settled:
            return
        for topic in self._state_topics():
            self.mqtt.client.unsubscribe(topic)
        if self.forgotten:  # forgotten while it waited: what it had retained stays emptied
            self.channel.settled = self.stream_switch.settled = True
            return
        self.channel.settle()
        self.stream_switch.settle()

    # ---- channel hooks ---------------------------------------------------------------------

    def _on_detection(self, on: bool) -> None:
        if self.child is not None:
            self.child.send(pm.SetDetection(on))

    def _send_child(self, msg: object) -> bool:
        child = self.child
        return child is not None and child.send(msg)

    def _on_person(self, roi: str | None, on: bool, at: float) -> None:
        if roi is None and on:
            self.last_person_at = at
        if not self.forgotten:
            self.visits.person_changed(roi, on, at)  # a visit and its clip start or end

    def _apply_rois(self, new: RoiSet) -> bool:
        """The detector process gets the set; True when no detector runs (the next starts with it)."""
        sent_at = time.time()
        self.roi_store.save(new)
        with self.lock:
            child = self.child
            live = child is not None and child.ready.is_set() and child.alive
            if live:
                self.pending_rois[new.version] = sent_at
        if live and child is not None and child.send(pm.SetRois(new, sent_at)):  # live: not None
            log.info("ROI set version %d sent to the running detector", new.version)
            return False
        self.pending_rois.pop(new.version, None)
        log.info("ROI set version %d stored; the detector starts with it", new.version)
        return True

    # ---- child process ---------------------------------------------------------------------

    def pipeline_config(self) -> pm.PipelineConfig:
        with self.lock:
            return pm.PipelineConfig(
                camera_id=self.cam,
                source=self.cfg.source,
                size=self.cfg.size,
                fps=self.cfg.fps,
                loop=self.cfg.loop,
                model_path=self.model_path,
                threads=self.cfg.threads,
                roi_set=self.roi_set,
                detection_on=self.detection.on,
                stats_interval=self.cfg.stats_interval,
                view_quality=self.cfg.view_quality,
                snapshot_interval=self.cfg.snapshot_interval,
                snapshot_quality=self.cfg.quality,
                motion=self.motion,
                record=self.record,
                log_level=logging.getLogger().getEffectiveLevel(),
            )

    def _spawn_child(self) -> ChildProcess:
        self.child_started_at = time.time()
        child = ChildProcess(run_pipeline, (self.pipeline_config(),), "detector process", events=True)
        with self.lock:
            self.child = child
        reader = threading.Thread(target=self._read_child, args=(child,), name="child-reader", daemon=True)
        self.reader = reader
        reader.start()
        log.info("detector process started (pid %d)", child.pid)
        return child

    def _read_child(self, child: ChildProcess) -> None:
        handlers: dict[type, Callable[[Any], object]] = {  # each takes a message of its key's type
            pm.LiveFrame: self._on_live_frame,
            pm.PipelineResult: self._on_pipeline_result,
            Heartbeat: lambda msg: None,
            pm.RoisApplied: self._on_rois_applied,
            pm.Snapshot: lambda msg: self.channel.offer_snapshot(msg.jpeg, time.time()),
            pm.PipelineStats: self._on_child_stats,
            pm.Clip: self._on_clip,
            pm.SnapshotWritten: self.visits.snapshot_written,
            Ready: lambda msg: self._on_ready(child, msg),
            Fatal: lambda msg: log.error("detector process: %s", msg.message),
        }
        while True:
            try:
                msg = child.reports.recv()
            except (EOFError, OSError):
                return
            child.beat()
            handler = handlers.get(type(msg))
            if handler is None:
                log.warning("the detector process sent an unknown %s; ignored", type(msg).__name__)
                continue
            try:
                handler(msg)
            except Exception:
                log.exception("handling %s from the detector process failed", type(msg).__name__)

    def _on_live_frame(self, msg: pm.LiveFrame) -> None:
        if self.hub is not None:
            self.hub.put(msg.jpeg, msg.captured_at)

    def _on_rois_applied(self, msg: pm.RoisApplied) -> None:
        with self.lock:
            known = self.pending_rois.pop(msg.version, None)
        if known is not None:
            self.last_apply_ms = round((time.time() - msg.sent_at) * 1000.0, 2)
            log.info(
                "ROI set version %d applied to the running detector in %.1f ms",
                msg.version,
                self.last_apply_ms,
            )
            self.channel.ack_rois(msg.version, ok=True)

    def _on_child_stats(self, msg: pm.PipelineStats) -> None:
        with self.lock:
            self.child_stats = msg.stats

    def _on_clip(self, msg: pm.Clip) -> None:
        if msg.ok:
            self.counters["clips"] += 1
        self.visits.clip(msg)

    def _on_ready(self, child: ChildProcess, msg: Ready) -> None:
        child.accept(msg)
        self.platform = msg.info.get("platform", self.platform)
        size = msg.info.get("size")
        if isinstance(size, list) and len(size) == 2:
            self.size = (int(size[0]), int(size[1]))
        log.info("detector process ready: %s", msg.info)
        with self.lock:
            pending = list(self.pending_rois.items())
            self.pending_rois.clear()
        for version, _ in pending:  # started with the newest set: nothing left to apply
            self.channel.ack_rois(version, ok=True)
        # Its leftover clips were reported before Ready: a visit's clip not accounted for now
        # died with the earlier process.
        self.visits.detector_restarted(self.child_started_at)
        if self.mqtt.connected.is_set() and not self.forgotten:
            self.mqtt.publish(self.topics.announce(self.cam), json.dumps(self.announce()), qos=1, retain=True)

    def _on_pipeline_result(self, result: pm.PipelineResult) -> None:
        if not self.detection.on:
            return  # switched off while the frame was analysed
        now = time.time()
        with self.lock:
            self.window["analysed"] += 1
            self.window["e2e_ms"] += (now - result.captured_at) * 1000.0
        self.channel.update(result.objects, now)
        if not self.forgotten:
            self.visits.frame(result.objects, result.captured_at, now)
        # A smart camera receives its own frame: received_at is captured_at.
        payload = detections_json(
            self.cam,
            self.service_id,
            result.captured_at,
            result.captured_at,
            result.analysed_at,
            result.inference_ms,
            result.size,
            result.rois_version,
            result.objects,
            result.regions,
        )
        if not self.forgotten:
            self.mqtt.publish(self.topics.detections(self.cam), payload)

    def stats(self, interval: float) -> dict[str, Any]:
        with self.lock:
            child_stats = dict(self.child_stats)
            window, self.window = self.window, {"analysed": 0, "e2e_ms": 0.0}
        return smart_stats(
            cam=self.cam,
            service_id=self.service_id,
            interval=interval,
            child_stats=child_stats,
            window=window,
            errors={k: self.channel.counters[k] for k in ("bad_rois", "bad_command")},
            detection=self.detection.state,
            stream=self.stream.state,
            rois_version=self.roi_set.version,
            rois_apply_ms=self.last_apply_ms,
            child_restarts=self.child_restarts,
            viewers=self.http.viewers if self.http else 0,
            cpu_temp=cpu_temperature(),
            rss=rss_mb(),
            child_rss=rss_mb(self.child.pid) if self.child and self.child.alive else None,
            clips=self.counters["clips"],
        )

    def status(self) -> dict[str, Any]:
        with self.lock:
            states = self.channel.tracker.states()
            roi_set = self.roi_set
            child_stats = dict(self.child_stats)
        return smart_status(
            cam=self.cam,
            name=self.name,
            states=states,
            detection=self.detection.state,
            stream=self.stream.state,
            rois=roi_set.to_json(),
            child_stats=child_stats,
            child_restarts=self.child_restarts,
        )

    # ---- main loop -------------------------------------------------------------------------

    def _start_http(self) -> None:
        from edge_agent.camera.http import FrameHub, LiveServer

        self.hub = FrameHub()

        def on_viewers(n: int) -> None:
            child = self.child
            if child is not None:
                child.send(pm.SetViewers(n))

        assert self.http_settings is not None  # run() starts the live view only with settings
        self.http = LiveServer(
            self.http_settings,
            self.hub,
            self.cam,
            self.name,
            self.status,
            streaming=lambda: self.stream.on,
            on_viewers=on_viewers,
            events_dir=self.visits.folder,
            recording=self.visits.clip_to_come,
        )
        self.http.start()

    def _stop_child(self, child: ChildProcess) -> None:
        """Stop the detector process so that the last visit's clip is closed and its `end`
        published: the visit ends now, the child closes the clip as it stops and reports it, and
        its reader handles every message left in the pipe before the pipes are closed."""
        if not self.forgotten:
            self.visits.drop_current(time.time())
        child.send(Stop())
        child.process.join(10)
        reader = self.reader
        if reader is not None and reader is not threading.current_thread():
            reader.join(5)  # it reads to the end of the pipe (the child is gone) and returns
        child.stop()
        if not self.forgotten:
            self.visits.stopping(time.time())

    def run(self) -> int:
        try:
            if self.http_settings is not None:
                self._start_http()
        except (OSError, RuntimeError) as err:
            log.error("%s", err)
            return 1
        connect(self.mqtt)
        # Our retained state (switches, person states) arrives within state_wait of connecting.
        self.stop_event.wait(self.cfg.state_wait)
        if self.mqtt.connected.is_set():
            self._finish_state_wait()
        supervised = self.supervised
        supervised.start()
        exit_code = 0
        next_stats = time.monotonic() + self.cfg.stats_interval
        try:
            while not self.stop_event.wait(0.25):
                notify("WATCHDOG=1")  # under systemd: a loop that hangs gets the camera restarted
                now = time.monotonic()
                if not self.channel.settled and self.mqtt.connected.is_set():
                    self._finish_state_wait()
                self.channel.tick(time.time())
                self.visits.tick(time.time())
                if now >= next_stats and self.forgotten:
                    next_stats += self.cfg.stats_interval
                elif now >= next_stats:
                    next_stats += self.cfg.stats_interval
                    self.mqtt.publish(
                        self.topics.stats(self.cam), json.dumps(self.stats(self.cfg.stats_interval))
                    )
                if supervised.due(now):
                    self.child_restarts += 1
                    supervised.restart()
                elif (reason := supervised.problem(now)) is not None:
                    with self.lock:
                        self.child = None
                    supervised.failed(reason, now)
                if supervised.gave_up:
                    log.error("no detector process: the camera stops (status 1) to be restarted whole")
                    exit_code = 1
                    break
        finally:
            log.info("stopping")
            if self.child is not None:
                self._stop_child(self.child)
            if self.http is not None:
                self.http.stop()
            # Forgotten: its availability was emptied and stays so (its Last Will is not sent on a clean stop).
            self.mqtt.stop(final=None if self.forgotten else (self.topics.availability(self.cam), OFFLINE))
        return exit_code
