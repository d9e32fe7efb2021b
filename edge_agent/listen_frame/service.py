"""listen_frame: the detection service for dumb cameras (docs/mqtt.md).

The MQTT side lives in this process (paho's network thread, plus a timer thread for debouncing
and stats); JPEG decoding and inference live in worker processes (pool.py). Per camera it keeps
the ROI set in force, whether detection is on, the debounced person state and counters.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace

import paho.mqtt.client as mqtt

from edge_agent.detect.person_state import PersonTracker
from edge_agent.detect.rois import DetectionSettings, RoiError, RoiSet, parse_roi_set
from edge_agent.ids import valid_camera_id
from edge_agent.listen_frame.pool import Dispatcher, Frame
from edge_agent.listen_frame.worker import Result, WorkerConfig
from edge_agent.mqtt import discovery
from edge_agent.mqtt.channel import (
    CommandError,
    DiscoveryPublisher,
    claimed_version,
    detections_json,
    older_set_error,
    parse_switch,
    rois_ack,
)
from edge_agent.mqtt.client import BrokerSettings, ManagedClient
from edge_agent.mqtt.topics import OFF, OFFLINE, ON, ONLINE, Topics
from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger("edge_agent.listen_frame")
KIND = "listen_frame"


@dataclass
class ListenFrameConfig:
    broker: BrokerSettings
    model_path: str
    base_topic: str = "bobby"
    instance: str = field(default_factory=lambda: socket.gethostname().split(".")[0] or "listen_frame")
    share_group: str | None = None
    workers: int = 0  # 0: one per core
    threads: int = 1
    labels_path: str | None = None
    threshold: float = 0.5
    max_payload: int = 2 * 1024 * 1024
    discovery: bool = True
    discovery_prefix: str = "homeassistant"
    stats_interval: float = 10.0
    snapshot_interval: float = 2.0  # at most one snapshot per camera this often
    snapshot_quality: int = 80

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)


@dataclass
class CameraWindow:
    """What happened to one camera during the current stats interval."""

    analysed: int = 0
    inference_ms: float = 0.0
    e2e_ms: float = 0.0

    def add(self, inference_ms: float, e2e_ms: float) -> None:
        self.analysed += 1
        self.inference_ms += inference_ms
        self.e2e_ms += e2e_ms


class CameraState:
    def __init__(self, cam: str, roi_set: RoiSet, discovery_prefix: str) -> None:
        self.cam = cam
        self.name: str | None = None
        self.mode: str | None = None
        self.sw_version: str | None = None
        self.roi_set = roi_set
        self.detection_on = True
        self.detection_request_id: str | None = None
        self.detection_commanded = False  # a command since start-up beats the retained state
        self.tracker = PersonTracker(self.roi_set.detection, ())
        self.counters: Counter[str] = Counter()
        self.window = CameraWindow()
        self.last_snapshot = 0.0
        self.discovery = DiscoveryPublisher(discovery_prefix, cam)
        self.active = False  # frames seen since the last stats message

    @property
    def served(self) -> bool:
        """Whether this service does the camera's detection (smart cameras do their own)."""
        return self.mode != "smart"


class ListenFrame:
    def __init__(self, config: ListenFrameConfig) -> None:
        self.config = config
        self.topics = Topics(config.base_topic)
        self.service_id = f"{KIND}/{config.instance}"
        self.availability_topic = self.topics.service_availability(KIND, config.instance)
        self.cameras: dict[str, CameraState] = {}
        # Until HA sends a camera's ROI set: the whole frame, with the threshold of the command line.
        self.default_roi_set = RoiSet(detection=replace(DetectionSettings(), threshold=config.threshold))
        self.counters: Counter[str] = Counter()
        self.lock = threading.RLock()
        self.bad = RateLimitedLog(log, interval=10.0)
        self.stop_event = threading.Event()
        self.dispatcher = Dispatcher(
            config.worker_count,
            WorkerConfig(config.model_path, config.labels_path, config.threads, config.snapshot_quality),
            on_result=self._on_result,
            on_lost=self._on_lost,
        )
        self.mqtt = ManagedClient(
            config.broker,
            client_id=f"bobby-listen-frame-{config.instance}-{os.getpid()}",
            will=(self.availability_topic, OFFLINE),
            on_connected=self._on_connected,
            on_message=self._on_message,
        )
        self._timer = threading.Thread(target=self._timer_loop, name="bobby-timer", daemon=True)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self, connect_timeout: float | None = 10.0) -> None:
        log.info(
            "listen_frame %s: %d worker(s), model %s, base topic %r%s",
            self.config.instance,
            self.config.worker_count,
            self.config.model_path,
            self.config.base_topic,
            f", shared group {self.config.share_group!r}" if self.config.share_group else "",
        )
        self.dispatcher.start()  # fails fast with a clear message when the model does not load
        self.mqtt.start(connect_timeout)
        self._timer.start()

    def stop(self) -> None:
        log.info("stopping: marking %s offline", self.service_id)
        self.stop_event.set()
        self.mqtt.stop(final=(self.availability_topic, OFFLINE))
        self.dispatcher.stop()
        if self._timer.is_alive():
            self._timer.join(2)

    def serve_forever(self) -> None:
        self.stop_event.wait()

    # ---- MQTT in ---------------------------------------------------------------------------

    def _frame_subscription(self) -> str:
        topic = self.topics.all("frame")
        return f"$share/{self.config.share_group}/{topic}" if self.config.share_group else topic

    def _on_connected(self, client: ManagedClient) -> None:
        t = self.topics
        client.subscribe(self._frame_subscription(), 0)
        for topic in (
            t.all("rois"),
            t.all("detection", "set"),
            t.all("detection", "state"),
            t.all("announce"),
        ):
            client.subscribe(topic, 1)
        if self.config.discovery:
            client.subscribe(f"{self.config.discovery_prefix}/status", 1)
        client.publish(self.availability_topic, ONLINE, qos=1, retain=True)
        with self.lock:
            cameras = list(self.cameras.values())
        for cam in cameras:  # after a reconnect: the broker may have lost our retained state
            cam.discovery.reconnected()
            self._publish_discovery(cam)
            self._publish_detection_state(cam)

    def _on_message(self, msg: mqtt.MQTTMessage) -> None:
        topic = msg.topic
        if self.config.discovery and topic == f"{self.config.discovery_prefix}/status":
            if msg.payload.strip().lower() == b"online":
                log.info("Home Assistant is online: republishing discovery")
                with self.lock:
                    cameras = list(self.cameras.values())
                for cam in cameras:
                    self._publish_discovery(cam, force=True)
            return
        if self.config.discovery and topic.startswith(self.config.discovery_prefix + "/"):
            self._on_discovery_config(msg)
            return
        parts = self.topics.split(topic)
        if parts is None:
            return
        cam_id, rest = parts
        if cam_id == KIND:
            return  # another listen_frame's availability or stats
        if not valid_camera_id(cam_id):
            self.counters["unknown_camera"] += 1
            self.bad.warning("unknown_camera", "ignoring %s: %r is not a valid camera id", topic, cam_id)
            return
        if rest == "frame":
            self._on_frame(cam_id, msg)
        elif rest == "rois":
            self._on_rois(cam_id, msg.payload)
        elif rest == "detection/set":
            self._on_detection_set(cam_id, msg.payload)
        elif rest == "detection/state":
            self._on_detection_state(cam_id, msg)
        elif rest == "announce":
            self._on_announce(cam_id, msg.payload)

    def camera(self, cam_id: str) -> CameraState:
        with self.lock:
            cam = self.cameras.get(cam_id)
            if cam is None:
                cam = self.cameras[cam_id] = CameraState(
                    cam_id, self.default_roi_set, self.config.discovery_prefix
                )
            return cam

    def _on_frame(self, cam_id: str, msg: mqtt.MQTTMessage) -> None:
        received = time.time()
        self.counters["frames_in"] += 1
        size = len(msg.payload)
        cam = self.camera(cam_id)
        cam.counters["frames_in"] += 1
        cam.active = True
        if size > self.config.max_payload:
            self._count_error(cam, "oversize")
            self.bad.warning(
                f"oversize:{cam_id}",
                "%s: dropped a %d-byte frame (limit %d)",
                cam_id,
                size,
                self.config.max_payload,
            )
            return
        if not cam.served:
            return
        if not cam.discovery.topics and self.config.discovery:
            self._publish_discovery(cam)
        if not cam.detection_on:
            cam.counters["skipped"] += 1
            return
        captured = received
        props = getattr(msg, "properties", None)
        for key, value in getattr(props, "UserProperty", None) or ():
            if key == "captured_at":
                try:
                    captured = float(value)
                except ValueError:
                    pass
        want_snapshot = received - cam.last_snapshot >= self.config.snapshot_interval
        frame = Frame(cam_id, bytes(msg.payload), received, captured, cam.roi_set, want_snapshot)
        if not self.dispatcher.submit(frame):
            cam.counters["dropped"] += 1
            self.counters["dropped"] += 1

    def _on_rois(self, cam_id: str, payload: bytes) -> None:
        cam = self.camera(cam_id)
        if not payload:
            log.info("%s: the retained ROI set was cleared; keeping version %d", cam_id, cam.roi_set.version)
            return
        try:
            new = parse_roi_set(payload)
        except RoiError as err:
            self.counters["bad_rois"] += 1
            cam.counters["bad_rois"] += 1
            self.bad.warning(f"rois:{cam_id}", "%s: refused the ROI set: %s", cam_id, err)
            self._ack_rois(cam, claimed_version(payload), ok=False, error=str(err))
            return
        if new.version < cam.roi_set.version:
            # Said, not just ignored: HA then shows why its set is not in force.
            error = older_set_error(new.version, cam.roi_set.version)
            log.info("%s: refused the ROI set: %s", cam_id, error)
            self._ack_rois(cam, new.version, ok=False, error=error)
            return
        with self.lock:
            cam.roi_set = new
            cam.tracker.reconfigure(new.detection, [r.id for r in new.rois])
            states = cam.tracker.states()
        log.info("%s: applied ROI set version %d (%d region(s))", cam_id, new.version, len(new.rois))
        self._ack_rois(cam, new.version, ok=True)
        self._publish_person_changes(cam, states)  # new regions get a state at once
        if cam.discovery.topics:
            self._publish_discovery(cam)

    def _ack_rois(self, cam: CameraState, version, ok: bool, error: str | None = None) -> None:
        payload = rois_ack(version, ok, error, cam.roi_set.version, self.service_id)
        self.mqtt.publish(self.topics.rois_applied(cam.cam), payload, qos=1, retain=True)

    def _on_detection_set(self, cam_id: str, payload: bytes) -> None:
        try:
            on, request_id = parse_switch(payload)
        except CommandError as err:
            self.counters["bad_command"] += 1
            self.bad.warning(
                f"cmd:{cam_id}", "%s: ignoring detection command %r: %s", cam_id, payload[:80], err
            )
            return
        cam = self.camera(cam_id)
        cam.detection_commanded = True
        self._set_detection(cam, on, request_id)

    def _on_detection_state(self, cam_id: str, msg: mqtt.MQTTMessage) -> None:
        # Only the retained copy at start-up matters: it carries the state across a restart.
        if not msg.retain:
            return
        cam = self.camera(cam_id)
        if cam.detection_commanded:
            return
        try:
            on, request_id = parse_switch(msg.payload)
        except CommandError:
            return
        if on != cam.detection_on:
            log.info("%s: detection %s (retained state)", cam_id, ON if on else OFF)
            self._set_detection(cam, on, request_id, publish=False)

    def _set_detection(
        self, cam: CameraState, on: bool, request_id: str | None, publish: bool = True
    ) -> None:
        with self.lock:
            cam.detection_on = on
            cam.detection_request_id = request_id
            changes = {}
            if not on:  # nobody is watching any more: every person sensor goes off now
                changes = {key: False for key, state in cam.tracker.states().items() if state}
                cam.tracker = PersonTracker(cam.roi_set.detection, [r.id for r in cam.roi_set.rois])
        log.info(
            "%s: detection %s%s", cam.cam, ON if on else OFF, f" (request {request_id})" if request_id else ""
        )
        if publish:
            self._publish_detection_state(cam)
        self._publish_person_changes(cam, changes)

    def _publish_detection_state(self, cam: CameraState) -> None:
        payload = {
            "state": ON if cam.detection_on else OFF,
            "request_id": cam.detection_request_id,
            "service": self.service_id,
            "at": round(time.time(), 3),
        }
        self.mqtt.publish(self.topics.detection_state(cam.cam), json.dumps(payload), qos=1, retain=True)

    def _on_announce(self, cam_id: str, payload: bytes) -> None:
        if not payload:
            return
        try:
            data = json.loads(payload)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError as err:
            self.bad.warning(f"announce:{cam_id}", "%s: unreadable announce: %s", cam_id, err)
            return
        cam = self.camera(cam_id)
        changed = (cam.name, cam.mode, cam.sw_version) != (
            data.get("name"),
            data.get("mode"),
            data.get("sw_version"),
        )
        cam.name, cam.mode, cam.sw_version = data.get("name"), data.get("mode"), data.get("sw_version")
        if cam.served and self.config.discovery and (changed or not cam.discovery.topics):
            self._publish_discovery(cam, force=changed)

    # ---- discovery -------------------------------------------------------------------------

    def _publish_discovery(self, cam: CameraState, force: bool = False) -> None:
        if not self.config.discovery or not cam.served:
            return
        configs = discovery.camera_discovery(
            self.topics,
            cam.cam,
            cam.name,
            cam.roi_set,
            [self.topics.availability(cam.cam), self.availability_topic],
            prefix=self.config.discovery_prefix,
            sw_version=cam.sw_version,
        )
        cam.discovery.publish(self.mqtt, configs)

    def _on_discovery_config(self, msg: mqtt.MQTTMessage) -> None:
        if not msg.payload:
            return
        dev = msg.topic.split("/")[-3]
        if not dev.startswith("bobby_"):
            return
        with self.lock:
            cam = self.cameras.get(dev[len("bobby_") :])
        if cam is not None:
            cam.discovery.on_config(self.mqtt, msg.topic, msg.payload, [r.id for r in cam.roi_set.rois])

    # ---- results ---------------------------------------------------------------------------

    def _count_error(self, cam: CameraState, kind: str) -> None:
        cam.counters[f"error_{kind}"] += 1
        self.counters[kind] += 1

    def _on_lost(self, frame: Frame, reason: str) -> None:
        cam = self.camera(frame.cam)
        self._count_error(cam, reason)

    def _on_result(self, frame: Frame, result: Result) -> None:
        cam = self.camera(frame.cam)
        if result.error:
            cam.active = True
            self._count_error(cam, result.error)
            self.bad.warning(f"decode:{frame.cam}", "%s: dropped a frame: %s", frame.cam, result.detail)
            return
        if not cam.detection_on:
            return  # switched off while the frame was in a worker
        now = time.time()
        with self.lock:
            changes = cam.tracker.update(result.objects, now)
        self._publish_person_changes(cam, changes)
        payload = detections_json(
            frame.cam,
            self.service_id,
            frame.captured_at,
            frame.received_at,
            now,
            result.inference_ms,
            result.size,
            frame.roi_set.version,
            result.objects,
        )
        self.mqtt.publish(self.topics.detections(frame.cam), payload)
        if result.snapshot is not None:
            cam.last_snapshot = now
            self.mqtt.publish(self.topics.snapshot(frame.cam), result.snapshot, qos=1, retain=True)
        self.counters["analysed"] += 1
        cam.counters["analysed"] += 1
        cam.active = True  # a frame that arrived before the last stats message may finish after it
        cam.window.add(result.inference_ms, (time.time() - frame.received_at) * 1000.0)

    def _publish_person_changes(self, cam: CameraState, changes: dict[str | None, bool]) -> None:
        for roi, on in changes.items():
            self.mqtt.publish(self.topics.person(cam.cam, roi), ON if on else OFF, qos=1, retain=True)

    # ---- timers and stats ------------------------------------------------------------------

    def _timer_loop(self) -> None:
        next_stats = time.monotonic() + self.config.stats_interval
        while not self.stop_event.wait(0.5):
            now = time.time()
            with self.lock:
                cameras = list(self.cameras.values())
            for cam in cameras:
                with self.lock:
                    changes = cam.tracker.tick(now)
                self._publish_person_changes(cam, changes)
            if time.monotonic() >= next_stats:
                next_stats += self.config.stats_interval
                self.publish_stats()

    def camera_stats(self, cam: CameraState, interval: float) -> dict:
        w = cam.window
        c = cam.counters
        return {
            "camera": cam.cam,
            "service": self.service_id,
            "at": round(time.time(), 3),
            "interval": interval,
            "frames_in": c["frames_in"],
            "analysed": c["analysed"],
            "dropped": c["dropped"],
            "skipped": c["skipped"],
            "errors": {k[len("error_") :]: v for k, v in c.items() if k.startswith("error_")},
            "analysed_fps": round(w.analysed / interval, 2),
            "inference_ms": round(w.inference_ms / w.analysed, 2) if w.analysed else None,
            "e2e_ms": round(w.e2e_ms / w.analysed, 2) if w.analysed else None,
            "detection": ON if cam.detection_on else OFF,
            "rois_version": cam.roi_set.version,
        }

    def service_stats(self) -> dict:
        c = self.counters
        return {
            "service": self.service_id,
            "at": round(time.time(), 3),
            "frames_in": c["frames_in"],
            "analysed": c["analysed"],
            "dropped": c["dropped"],
            "workers": len(self.dispatcher.workers),
            "worker_restarts": self.dispatcher.restarts,
            "cameras": len(self.cameras),
            "errors": {
                k: c[k]
                for k in ("decode", "oversize", "bad_rois", "bad_command", "unknown_camera", "worker_died")
            },
        }

    def publish_stats(self) -> None:
        interval = self.config.stats_interval
        with self.lock:
            cameras = [c for c in self.cameras.values() if c.active]
            snapshots = []
            for cam in cameras:
                snapshots.append((cam, self.camera_stats(cam, interval)))
                cam.window = CameraWindow()
                cam.active = False
        for cam, stats in snapshots:
            self.mqtt.publish(self.topics.stats(cam.cam), json.dumps(stats))
        self.mqtt.publish(
            self.topics.service_stats(KIND, self.config.instance), json.dumps(self.service_stats())
        )
