"""The smart camera: detects on the device and publishes what listen_frame would (docs/mqtt.md).

This process keeps the MQTT side (paho's thread), the HTTP live view (aiohttp's thread), person
debouncing and stats. Capture, detection, drawing and recording run in a child process
(`pipeline.py`), so that whatever the detector does, MQTT stays responsive.

- An ROI set is validated here (a malformed one is refused with the reason, the running set
  stays), then sent to the running child over a pipe; it is acknowledged on `rois/applied` when
  the child confirms, and the time that took is logged and reported in stats (`rois_apply_ms`).
- The child is restarted (with backoff) only when it dies, stops sending heartbeats, or reports a
  fatal error; `child_restarts` counts it.
- Detection and streaming on/off are acknowledged with the request id and retained, and adopted
  from the retained state at start, so they survive a restart.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
import time
from dataclasses import replace

import paho.mqtt.client as mqtt

from edge_agent import __version__
from edge_agent.camera.dumb import connect
from edge_agent.camera.pipeline import PipelineConfig, Result, run_pipeline
from edge_agent.detect.rois import DetectionSettings, RoiError, RoiSet, parse_roi_set
from edge_agent.mqtt import discovery
from edge_agent.mqtt.channel import CameraChannel, ChannelHooks, ChannelSettings, TopicRouter
from edge_agent.mqtt.client import BrokerSettings, ManagedClient
from edge_agent.mqtt.messages import CommandError, SwitchState, detections_json, parse_switch
from edge_agent.mqtt.topics import OFF, OFFLINE, ON, ONLINE, Topics
from edge_agent.procinfo import rss_mb
from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)

HEARTBEAT_TIMEOUT = 20.0  # a child silent this long is taken as hung and restarted
MAX_RESTART_BACKOFF = 30.0


def cpu_temperature() -> float | None:
    """°C from the first thermal zone (a Pi has one), None where the board has none."""
    try:
        return round(int(open("/sys/class/thermal/thermal_zone0/temp").read().strip()) / 1000.0, 1)
    except (OSError, ValueError):
        return None


class Child:
    """One run of the pipeline process and the two pipe ends the parent holds."""

    def __init__(self, cfg: PipelineConfig) -> None:
        ctx = multiprocessing.get_context("spawn")  # no fork: paho and aiohttp threads live here
        self.ctrl, child_ctrl = ctx.Pipe()
        self.out, child_out = ctx.Pipe(duplex=False)
        self.process = ctx.Process(
            target=run_pipeline, args=(cfg, child_ctrl, child_out), name="bobby-pipeline", daemon=True
        )
        self.process.start()
        child_ctrl.close()
        child_out.close()
        self.started = time.monotonic()
        self.last_beat = time.monotonic()
        self.ready = threading.Event()
        self.info: dict = {}
        self.send_lock = threading.Lock()

    def send(self, *msg) -> bool:
        with self.send_lock:
            try:
                self.ctrl.send(msg)
                return True
            except (BrokenPipeError, EOFError, OSError):
                return False

    def stop(self, timeout: float = 10.0) -> None:
        self.send("stop")
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        for conn in (self.ctrl, self.out):
            try:
                conn.close()
            except OSError:
                pass


class SmartCamera:
    def __init__(self, cfg: dict, broker: BrokerSettings, stop: threading.Event | None = None) -> None:
        from edge_agent.camera.config import http_settings, motion_settings, record_settings, state_dir
        from edge_agent.detect.model import resolve_model

        self.cfg = cfg
        self.cam = cfg["camera_id"]
        self.name = cfg.get("name") or self.cam
        self.topics = Topics(cfg["base_topic"])
        self.service_id = f"camera/{self.cam}"
        self.stop_event = stop or threading.Event()
        self.model_path = str(resolve_model(cfg.get("model")))
        self.size = (cfg["width"], cfg["height"])
        self.motion = motion_settings(cfg)
        self.record = record_settings(cfg)
        self.http_settings = http_settings(cfg)
        self.lock = threading.RLock()
        self.bad = RateLimitedLog(log, interval=10.0)
        # The last good ROI set, kept on disk: a malformed retained set after a restart is refused
        # and must not leave the camera with no regions.
        self.rois_file = state_dir(cfg) / f"{self.cam}.rois.json"
        roi_set = self._load_rois() or RoiSet(
            detection=replace(DetectionSettings(), threshold=cfg["threshold"])
        )
        self.stream = SwitchState(on=True)
        self.stream_commanded = False
        self.pending_rois: dict[int, float] = {}  # version -> sent_at, waiting for the child
        self.last_apply_ms: float | None = None
        self.child: Child | None = None
        self.child_restarts = 0
        self.platform = "unknown"
        self.counters = {"clips": 0}
        self.child_stats: dict = {}
        self.window = {"analysed": 0, "e2e_ms": 0.0}
        self.last_person_at: float | None = None
        self.http = None
        self.hub = None
        self.mqtt = ManagedClient(
            broker,
            client_id=f"bobby-smart-{self.cam}-{os.getpid()}",
            will=(self.topics.availability(self.cam), OFFLINE),
            on_connected=self._on_connected,
            on_message=self._on_message,
        )
        self.broker = broker
        self.channel = CameraChannel(
            self.mqtt,
            self.cam,
            ChannelSettings(
                self.topics,
                self.service_id,
                discovery_prefix=cfg["discovery_prefix"] if cfg["discovery"] else None,
                snapshot_interval=cfg["snapshot_interval"],
                discovery_model="smart camera",
                discovery_sw_version=__version__,
                discovery_extra_sensors=discovery.SMART_CAMERA_SENSORS,
            ),
            roi_set,
            ChannelHooks(
                apply_rois=self._apply_rois,
                on_detection=self._on_detection,
                on_person=self._on_person,
                name=lambda: self.name,
            ),
            bad=self.bad,
        )
        # Our own camera's topics: the channel's, and the stream switch, which only a camera has.
        routes = {rest: getattr(self.channel, method) for rest, method in CameraChannel.ROUTES.items()}
        routes |= {"stream/set": self._on_stream_set, "stream/state": self._on_stream_state}
        self.router = TopicRouter(
            self.topics, {rest: self._for_us(handler) for rest, handler in routes.items()}
        )

    @property
    def roi_set(self) -> RoiSet:
        return self.channel.roi_set

    @property
    def detection(self) -> SwitchState:
        return self.channel.detection

    # ---- MQTT ------------------------------------------------------------------------------

    def announce(self) -> dict:
        from edge_agent.camera.http import live_urls

        stream_url, snapshot_url = live_urls(self.http, self.broker.host)
        return {
            "id": self.cam,
            "name": self.name,
            "mode": "smart",
            "resolution": list(self.size),
            "fps": float(self.cfg["fps"]),
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

    def _on_connected(self, mc: ManagedClient) -> None:
        t = self.topics
        for topic in (t.stream_set(self.cam), t.detection_set(self.cam), t.rois(self.cam)):
            mc.subscribe(topic, qos=1)
        if self.cfg["discovery"]:
            mc.subscribe(f"{self.cfg['discovery_prefix']}/status", qos=1)
        mc.publish(t.announce(self.cam), json.dumps(self.announce()), qos=1, retain=True)
        mc.publish(t.availability(self.cam), ONLINE, qos=1, retain=True)
        if self.channel.settled:
            self._publish_stream()
            self.channel.reconnected()
        else:
            for topic in self._state_topics():
                mc.subscribe(topic, qos=1)

    def _on_message(self, msg: mqtt.MQTTMessage) -> None:
        topic = msg.topic
        prefix = self.cfg["discovery_prefix"]
        if topic == f"{prefix}/status":
            if msg.payload.strip().lower() == b"online" and self.channel.settled:
                log.info("Home Assistant is online: republishing discovery")
                self.channel.publish_discovery()
        elif topic.startswith(prefix + "/"):
            self.channel.on_discovery_config(msg)
        else:
            self.router.dispatch(msg)

    def _for_us(self, handler):
        def route(cam: str, msg: mqtt.MQTTMessage) -> None:
            if cam == self.cam:
                handler(msg)

        return route

    def _finish_state_wait(self) -> None:
        if self.channel.settled:
            return
        for topic in self._state_topics():
            self.mqtt.client.unsubscribe(topic)
        self.channel.settle()
        self._publish_stream()

    def _on_stream_set(self, msg: mqtt.MQTTMessage) -> None:
        try:
            on, rid = parse_switch(msg.payload)
        except CommandError as err:
            self.channel.counters["bad_command"] += 1
            self.bad.warning("cmd:stream", "refused a stream command: %s", err)
            return
        self.stream_commanded = True
        self._set_stream(SwitchState(on=on, request_id=rid), publish=True)

    def _on_stream_state(self, msg: mqtt.MQTTMessage) -> None:
        if msg.retain and not self.stream_commanded and not self.channel.settled:
            state = SwitchState.from_retained(msg.payload)
            if state is not None:
                log.info("stream %s (retained state from an earlier run)", state.state)
                self._set_stream(state, publish=False)

    def _set_stream(self, state: SwitchState, publish: bool) -> None:
        with self.lock:
            self.stream = state
        log.info("stream %s%s", state.state, f" (request {state.request_id})" if state.request_id else "")
        if publish and self.channel.settled:
            self._publish_stream()

    def _publish_stream(self) -> None:
        with self.lock:
            state = self.stream
        self.mqtt.publish(self.topics.stream_state(self.cam), state.payload(), qos=1, retain=True)

    # ---- channel hooks ---------------------------------------------------------------------

    def _on_detection(self, on: bool) -> None:
        if self.child is not None:
            self.child.send("detection", on)

    def _on_person(self, roi: str | None, on: bool, at: float) -> None:
        if roi is not None:
            return
        if on:
            self.last_person_at = at
        child = self.child
        if child is not None:
            child.send("person", on, at)  # event clips

    def _apply_rois(self, new: RoiSet) -> bool:
        """The detector process gets the set; True when no detector runs (the next starts with it)."""
        sent_at = time.time()
        self._save_rois(new)
        with self.lock:
            child = self.child
            live = child is not None and child.ready.is_set() and child.process.is_alive()
            if live:
                self.pending_rois[new.version] = sent_at
        if live and child.send("rois", new, sent_at):
            log.info("ROI set version %d sent to the running detector", new.version)
            return False
        self.pending_rois.pop(new.version, None)
        log.info("ROI set version %d stored; the detector starts with it", new.version)
        return True

    def _load_rois(self) -> RoiSet | None:
        try:
            data = self.rois_file.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            log.warning("cannot read the last good ROI set %s: %s", self.rois_file, err)
            return None
        try:
            roi_set = parse_roi_set(data)
        except RoiError as err:  # written by us, so only a damaged file: start without it
            log.warning("ignoring the stored ROI set %s: %s", self.rois_file, err)
            return None
        log.info(
            "starting with ROI set version %d (%d region(s)) from %s",
            roi_set.version,
            len(roi_set.rois),
            self.rois_file,
        )
        return roi_set

    def _save_rois(self, roi_set: RoiSet) -> None:
        """Atomically and durably (a power cut leaves the old file or the new one); failures are logged."""
        tmp = self.rois_file.with_name(self.rois_file.name + ".tmp")
        try:
            self.rois_file.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w") as f:
                f.write(json.dumps(roi_set.to_json()))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.rois_file)
            dir_fd = os.open(self.rois_file.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)  # the rename itself survives a power cut
            finally:
                os.close(dir_fd)
        except OSError as err:
            self.bad.warning(
                "rois_file",
                "cannot keep the ROI set in %s: %s (it will not survive a restart "
                "with a malformed retained set)",
                self.rois_file,
                err,
            )

    # ---- child process ---------------------------------------------------------------------

    def pipeline_config(self) -> PipelineConfig:
        with self.lock:
            return PipelineConfig(
                camera_id=self.cam,
                source=self.cfg["source"],
                size=self.size,
                fps=self.cfg["fps"],
                loop=self.cfg["loop"],
                model_path=self.model_path,
                threads=self.cfg["threads"],
                roi_set=self.roi_set,
                detection_on=self.detection.on,
                stats_interval=self.cfg["stats_interval"],
                view_quality=self.cfg["view_quality"],
                snapshot_quality=self.cfg["quality"],
                motion=self.motion,
                record=self.record,
                log_level=logging.getLogger().getEffectiveLevel(),
            )

    def _start_child(self) -> Child:
        child = Child(self.pipeline_config())
        with self.lock:
            self.child = child
        threading.Thread(target=self._read_child, args=(child,), name="child-reader", daemon=True).start()
        log.info("detector process started (pid %d)", child.process.pid)
        return child

    def _read_child(self, child: Child) -> None:
        while True:
            try:
                msg = child.out.recv()
            except (EOFError, OSError):
                return
            try:
                self._on_child_message(child, msg)
            except Exception:
                log.exception("handling %s from the detector process failed", msg[0])

    def _on_child_message(self, child: Child, msg: tuple) -> None:
        kind = msg[0]
        child.last_beat = time.monotonic()
        if kind == "frame":
            if self.hub is not None:
                self.hub.put(msg[1], msg[2])
        elif kind == "result":
            self._on_result(msg[1])
        elif kind == "heartbeat":
            pass
        elif kind == "rois_applied":
            _, version, sent_at, _applied_at = msg
            with self.lock:
                known = self.pending_rois.pop(version, None)
            if known is not None:
                self.last_apply_ms = round((time.time() - sent_at) * 1000.0, 2)
                log.info(
                    "ROI set version %d applied to the running detector in %.1f ms",
                    version,
                    self.last_apply_ms,
                )
                self.channel.ack_rois(version, ok=True)
        elif kind == "snapshot":
            self.channel.offer_snapshot(msg[1], time.time())
        elif kind == "stats":
            with self.lock:
                self.child_stats = msg[1]
        elif kind == "clip":
            _, path, start, end = msg
            self.counters["clips"] += 1
            self.mqtt.publish(
                self.topics.event(self.cam),
                json.dumps(
                    {"clip": path, "start": round(start, 3), "end": round(end, 3), "camera": self.cam}
                ),
                qos=1,
            )
        elif kind == "ready":
            child.info = msg[1]
            self.platform = msg[1].get("platform", self.platform)
            child.ready.set()
            log.info("detector process ready: %s", msg[1])
            with self.lock:
                pending = list(self.pending_rois.items())
                self.pending_rois.clear()
            for version, _ in pending:  # started with the newest set: nothing left to apply
                self.channel.ack_rois(version, ok=True)
            if self.mqtt.connected.is_set():
                self.mqtt.publish(
                    self.topics.announce(self.cam), json.dumps(self.announce()), qos=1, retain=True
                )
        elif kind == "fatal":
            log.error("detector process: %s", msg[1])

    def _on_result(self, result: Result) -> None:
        if not self.detection.on:
            return  # switched off while the frame was analysed
        now = time.time()
        with self.lock:
            self.window["analysed"] += 1
            self.window["e2e_ms"] += (now - result.captured_at) * 1000.0
        self.channel.update(result.objects, now)
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
        )
        self.mqtt.publish(self.topics.detections(self.cam), payload)

    # ---- status and stats ------------------------------------------------------------------

    def stats(self, interval: float) -> dict:
        with self.lock:
            cs = dict(self.child_stats)
            w, self.window = self.window, {"analysed": 0, "e2e_ms": 0.0}
            recording = cs.get("recording")
        rec_state = (
            "off"
            if recording is None
            else recording["state"]
            if recording["state"] == "ok"
            else f"error: {recording['error']}"
        )
        return {
            "camera": self.cam,
            "service": self.service_id,
            "at": round(time.time(), 3),
            "interval": interval,
            "frames_in": cs.get("captured", 0),
            "analysed": cs.get("analysed", 0),
            "dropped": cs.get("dropped", 0),
            "errors": {
                "bad_rois": self.channel.counters["bad_rois"],
                "bad_command": self.channel.counters["bad_command"],
            },
            "capture_fps": cs.get("capture_fps"),
            "analysed_fps": cs.get("analysed_fps"),
            "inference_ms": cs.get("inference_ms"),
            "e2e_ms": round(w["e2e_ms"] / w["analysed"], 2) if w["analysed"] else None,
            "motion_skipped": cs.get("motion_skipped", 0),
            "motion_checked": cs.get("motion_checked", 0),
            "detection": self.detection.state,
            "stream": self.stream.state,
            "rois_version": self.roi_set.version,
            "rois_apply_ms": self.last_apply_ms,
            "child_restarts": self.child_restarts,
            "viewers": self.http.viewers if self.http else 0,
            "cpu_temp": cpu_temperature(),
            "rss_mb": rss_mb(),
            "child_rss_mb": rss_mb(self.child.process.pid)
            if self.child and self.child.process.is_alive()
            else None,
            "recording_state": rec_state,
            "recording": recording,
            "clips": self.counters["clips"],
            "source": cs.get("source"),
        }

    def status(self) -> dict:
        with self.lock:
            states = self.channel.tracker.states()
            roi_set = self.roi_set
            cs = dict(self.child_stats)
        return {
            "camera": self.cam,
            "name": self.name,
            "person": ON if states.get(None) else OFF,
            "regions": {k: (ON if v else OFF) for k, v in states.items() if k is not None},
            "detection": self.detection.state,
            "stream": self.stream.state,
            "rois": roi_set.to_json(),
            "stats": {k: v for k, v in cs.items() if not isinstance(v, dict)}
            | {"child_restarts": self.child_restarts},
        }

    # ---- main loop -------------------------------------------------------------------------

    def _start_http(self) -> None:
        from edge_agent.camera.http import FrameHub, LiveServer

        self.hub = FrameHub()

        def on_viewers(n: int) -> None:
            child = self.child
            if child is not None:
                child.send("viewers", n)

        self.http = LiveServer(
            self.http_settings,
            self.hub,
            self.cam,
            self.name,
            self.status,
            streaming=lambda: self.stream.on,
            on_viewers=on_viewers,
        )
        self.http.start()

    def run(self) -> int:
        try:
            if self.http_settings is not None:
                self._start_http()
        except (OSError, RuntimeError) as err:
            log.error("%s", err)
            return 1
        connect(self.mqtt)
        # Our retained state (switches, person states) arrives within state_wait of connecting.
        self.stop_event.wait(self.cfg["state_wait"])
        if self.mqtt.connected.is_set():
            self._finish_state_wait()
        child = self._start_child()
        backoff = 1.0
        restart_at: float | None = None
        next_stats = time.monotonic() + self.cfg["stats_interval"]
        try:
            while not self.stop_event.wait(0.25):
                now = time.monotonic()
                if not self.channel.settled and self.mqtt.connected.is_set():
                    self._finish_state_wait()
                self.channel.tick(time.time())
                if now >= next_stats:
                    next_stats += self.cfg["stats_interval"]
                    self.mqtt.publish(
                        self.topics.stats(self.cam), json.dumps(self.stats(self.cfg["stats_interval"]))
                    )
                if restart_at is not None:
                    if now >= restart_at:
                        restart_at = None
                        self.child_restarts += 1
                        child = self._start_child()
                    continue
                dead = not child.process.is_alive()
                hung = now - child.last_beat > HEARTBEAT_TIMEOUT
                if dead or hung:
                    reason = (
                        f"exited with code {child.process.exitcode}"
                        if dead
                        else f"silent for {HEARTBEAT_TIMEOUT:.0f} s"
                    )
                    # A child that ran a while gets restarted at once; one that keeps dying waits longer.
                    backoff = 1.0 if now - child.started > 60 else min(backoff * 2, MAX_RESTART_BACKOFF)
                    log.error("detector process %s; restarting in %.0f s", reason, backoff)
                    child.stop(timeout=1.0)
                    with self.lock:
                        self.child = None
                    restart_at = now + backoff
        finally:
            log.info("stopping")
            if self.child is not None:
                self.child.stop()
            if self.http is not None:
                self.http.stop()
            self.mqtt.stop(final=(self.topics.availability(self.cam), OFFLINE))
        return 0
