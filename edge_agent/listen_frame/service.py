"""listen_frame: the detection service for dumb cameras (docs/mqtt.md).

The MQTT side lives in this process (paho's network thread, plus a timer thread for debouncing
and stats); JPEG decoding and inference live in worker processes (pool.py). Per camera it keeps
the ROI set in force, whether detection is on, the debounced person state and counters.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace

import paho.mqtt.client as mqtt

from edge_agent.detect.rois import DetectionSettings, RoiSet
from edge_agent.ids import valid_camera_id
from edge_agent.listen_frame.pool import Dispatcher, Frame
from edge_agent.listen_frame.worker import WorkerConfig, WorkerResult
from edge_agent.mqtt.channel import CameraChannel, ChannelHooks, ChannelSettings, TopicRouter
from edge_agent.mqtt.client import BrokerSettings, ManagedClient
from edge_agent.mqtt.messages import detections_json
from edge_agent.mqtt.topics import OFFLINE, ONLINE, Topics
from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger("edge_agent.listen_frame")
KIND = "listen_frame"
CAPTURED_AT_TOLERANCE = 24 * 3600.0


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
    snapshot_interval: float = 30.0  # during a visit, at most one last-person snapshot this often
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
    """A camera this instance has heard of: its channel, what it announced, its counters."""

    def __init__(self, cam: str, channel: CameraChannel) -> None:
        self.cam = cam
        self.channel = channel
        self.name: str | None = None
        self.mode: str | None = None
        self.sw_version: str | None = None
        self.counters: Counter[str] = Counter()
        self.window = CameraWindow()
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
        self.channel_settings = ChannelSettings(
            self.topics,
            self.service_id,
            discovery_prefix=config.discovery_prefix if config.discovery else None,
            snapshot_interval=config.snapshot_interval,
        )
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
        # What arrives under `<base>/<cam>/`: frames and announces are ours, the rest the channel's.
        self.router = TopicRouter(
            self.topics,
            {
                "frame": self._on_frame,
                "announce": self._on_announce,
                **{rest: self._to_channel(rest) for rest in CameraChannel.ROUTES},
            },
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
        # Retained state first: the broker delivers it before any frame of the later subscription,
        # so a camera's channel knows its earlier state before it is served.
        for topic in (
            t.all("rois"),
            t.all("detection", "set"),
            t.all("detection", "state"),
            t.all("person"),
            t.all("person", "+"),
            t.all("announce"),
        ):
            client.subscribe(topic, 1)
        if self.config.discovery:
            client.subscribe(f"{self.config.discovery_prefix}/status", 1)
        client.subscribe(self._frame_subscription(), 0)
        client.publish(self.availability_topic, ONLINE, qos=1, retain=True)
        with self.lock:
            cameras = list(self.cameras.values())
        for cam in cameras:  # after a reconnect: the broker may have lost our retained state
            cam.channel.reconnected()

    def _on_message(self, msg: mqtt.MQTTMessage) -> None:
        topic = msg.topic
        prefix = self.config.discovery_prefix
        if self.config.discovery and topic == f"{prefix}/status":
            if msg.payload.strip().lower() == b"online":
                log.info("Home Assistant is online: republishing discovery")
                with self.lock:
                    cameras = list(self.cameras.values())
                for cam in cameras:
                    cam.channel.publish_discovery()
            return
        if self.config.discovery and topic.startswith(prefix + "/"):
            self._on_discovery_config(msg)
            return
        parts = self.topics.split(topic)
        if parts is None or parts[0] == KIND:
            return  # not ours, or another listen_frame's availability or stats
        if not valid_camera_id(parts[0]):
            self.counters["unknown_camera"] += 1
            self.bad.warning("unknown_camera", "ignoring %s: %r is not a valid camera id", topic, parts[0])
            return
        self.router.dispatch(msg)

    def _to_channel(self, rest: str):
        route = CameraChannel.ROUTES[rest]

        def handler(cam_id: str, msg: mqtt.MQTTMessage) -> None:
            getattr(self.camera(cam_id).channel, route)(msg)

        return handler

    def camera(self, cam_id: str) -> CameraState:
        with self.lock:
            cam = self.cameras.get(cam_id)
            if cam is None:
                cam = self.cameras[cam_id] = CameraState(cam_id, None)  # type: ignore[arg-type]
                cam.channel = CameraChannel(
                    self.mqtt,
                    cam_id,
                    self.channel_settings,
                    self.default_roi_set,
                    ChannelHooks(
                        availability_topics=lambda: [
                            self.topics.availability(cam_id),
                            self.availability_topic,
                        ],
                        name=lambda: cam.name,
                        sw_version=lambda: cam.sw_version,
                    ),
                    bad=self.bad,
                )
            return cam

    def _serve(self, cam: CameraState) -> None:
        """From the first frame or announce on: the camera's state and discovery are published."""
        if cam.served and not cam.channel.settled:
            cam.channel.settle()

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
        self._serve(cam)
        channel = cam.channel
        if not channel.detection.on:
            cam.counters["skipped"] += 1
            return
        captured = received
        props = getattr(msg, "properties", None)
        for key, value in getattr(props, "UserProperty", None) or ():
            if key == "captured_at":
                try:
                    value = float(value)
                except ValueError:
                    continue
                # A camera's clock may be off, but NaN, infinities or another decade are not times.
                if math.isfinite(value) and abs(value - received) < CAPTURED_AT_TOLERANCE:
                    captured = value
        frame = Frame(
            cam_id, bytes(msg.payload), received, captured, channel.roi_set, channel.want_snapshot(received)
        )
        if not self.dispatcher.submit(frame):
            cam.counters["dropped"] += 1
            self.counters["dropped"] += 1

    def _on_announce(self, cam_id: str, msg: mqtt.MQTTMessage) -> None:
        if not msg.payload:
            return
        try:
            data = json.loads(msg.payload)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError as err:
            self.bad.warning(f"announce:{cam_id}", "%s: unreadable announce: %s", cam_id, err)
            return
        cam = self.camera(cam_id)
        announced = (data.get("name"), data.get("mode"), data.get("sw_version"))
        changed = (cam.name, cam.mode, cam.sw_version) != announced
        cam.name, cam.mode, cam.sw_version = announced
        if not cam.served:
            return
        if not cam.channel.settled:
            self._serve(cam)
        elif changed:
            cam.channel.publish_discovery()

    def _on_discovery_config(self, msg: mqtt.MQTTMessage) -> None:
        if not msg.payload:
            return
        dev = msg.topic.split("/")[-3]
        if not dev.startswith("bobby_"):
            return
        with self.lock:
            cam = self.cameras.get(dev[len("bobby_") :])
        if cam is not None:
            cam.channel.on_discovery_config(msg)

    # ---- results ---------------------------------------------------------------------------

    def _count_error(self, cam: CameraState, kind: str) -> None:
        cam.counters[f"error_{kind}"] += 1
        self.counters[kind] += 1

    def _on_lost(self, frame: Frame, reason: str) -> None:
        cam = self.camera(frame.cam)
        self._count_error(cam, reason)

    def _on_result(self, frame: Frame, result: WorkerResult) -> None:
        cam = self.camera(frame.cam)
        if result.error:
            cam.active = True
            self._count_error(cam, result.error)
            self.bad.warning(f"decode:{frame.cam}", "%s: dropped a frame: %s", frame.cam, result.detail)
            return
        channel = cam.channel
        if not channel.detection.on:
            return  # switched off while the frame was in a worker
        now = time.time()
        channel.update(result.objects, now)
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
            channel.offer_snapshot(result.snapshot, now)
        self.counters["analysed"] += 1
        cam.counters["analysed"] += 1
        cam.active = True  # a frame that arrived before the last stats message may finish after it
        cam.window.add(result.inference_ms, (time.time() - frame.received_at) * 1000.0)

    # ---- timers and stats ------------------------------------------------------------------

    def _timer_loop(self) -> None:
        next_stats = time.monotonic() + self.config.stats_interval
        while not self.stop_event.wait(0.5):
            now = time.time()
            with self.lock:
                cameras = list(self.cameras.values())
            for cam in cameras:
                cam.channel.tick(now)
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
            "detection": cam.channel.detection.state,
            "rois_version": cam.channel.roi_set.version,
        }

    def service_stats(self) -> dict:
        c = Counter(self.counters)
        with self.lock:
            for cam in self.cameras.values():
                c.update({k: cam.channel.counters[k] for k in ("bad_rois", "bad_command")})
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
