"""listen_frame: the detection service for dumb cameras (docs/mqtt.md).

The MQTT side lives in this process (paho's network thread, plus a timer thread for debouncing
and stats); JPEG decoding and inference live in worker processes (pool.py). Per camera it keeps
the ROI set in force, whether detection is on, the debounced person state and counters.

Several instances in one shared-subscription group behave as one detector: each camera has one
owner among the live instances (ownership.py, cluster.py), which alone publishes the camera's states,
events, snapshots, discovery, stats and aggregated ROI acknowledgement; every instance folds the
others' detections into its debouncer (docs/listen_frame.md, "Several instances").
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from edge_agent.detect.rois import DetectionSettings, RoiSet
from edge_agent.ids import valid_camera_id
from edge_agent.listen_frame.cameras import Announce, CameraRegistry
from edge_agent.listen_frame.cluster import Cluster, ClusterIdentity
from edge_agent.listen_frame.events import CameraEvents, event_json, leftovers, recover_leftovers
from edge_agent.listen_frame.gate import CameraGates
from edge_agent.listen_frame.ownership import KIND
from edge_agent.listen_frame.pool import Dispatcher, Frame
from edge_agent.listen_frame.state import CameraState, InstanceState, ListenFrameConfig
from edge_agent.listen_frame.worker import WorkerConfig, WorkerResult
from edge_agent.mqtt.channel import CameraChannel, ChannelHooks, ChannelSettings
from edge_agent.mqtt.client import ManagedClient, client_id, packet_size_for_payload
from edge_agent.mqtt.messages import CommandError, Forget, detections_json
from edge_agent.mqtt.routing import TopicRouter, home_assistant_message
from edge_agent.mqtt.topics import OFFLINE, ONLINE, Topics
from edge_agent.ratelimit import RateLimitedLog
from edge_agent.supervisor import JobDeadline

log = logging.getLogger("edge_agent.listen_frame")
CAPTURED_AT_TOLERANCE = 24 * 3600.0
# With a share group, the owner of a recorded camera also subscribes to its frames directly (each
# instance gets only a share of them): what that subscription delivers carries this identifier
# and goes to the clip only; the shared copy goes to detection (docs/listen_frame.md, Recording).
RECORD_SUB = 7
STATE_WAIT = 1.0  # after subscribing, our retained state has arrived within this (as the smart camera)


class ListenFrame:
    def __init__(self, config: ListenFrameConfig) -> None:
        self.config = config
        self.topics = Topics(config.base_topic)
        self.service_id = f"{KIND}/{config.instance}"
        self.availability_topic = self.topics.service_availability(KIND, config.instance)
        # Until HA sends a camera's ROI set: the whole frame, with the threshold of the command line.
        self.default_roi_set = RoiSet(
            detection=replace(DetectionSettings(), threshold=config.threshold, motion=config.motion_gate)
        )
        self.channel_settings = ChannelSettings(
            self.topics,
            self.service_id,
            discovery_prefix=config.discovery_prefix if config.discovery else None,
            snapshot_interval=config.snapshot_interval,
            max_rois=config.max_rois,
            own_availability=self.availability_topic,
        )
        self.state = InstanceState()  # this instance's counters, run and last report (state.py)
        self.counters = self.state.counters
        self.gates = CameraGates()  # each camera's motion gate (docs/detection.md, motion gate)
        self.lock = threading.RLock()
        self.bad = RateLimitedLog(log, interval=10.0)
        self.registry: CameraRegistry[CameraState] = CameraRegistry(
            self._new_camera,
            max_cameras=config.max_cameras,
            allow=config.allow_cameras,
            forget_after=config.forget_after,
            counters=self.counters,
            bad=self.bad,
        )
        self.stop_event = threading.Event()
        self.dispatcher = Dispatcher(
            config.worker_count,
            WorkerConfig(
                config.model_path,
                config.labels_path,
                config.threads,
                config.snapshot_quality,
                max_pixels=int(config.max_megapixels * 1_000_000),
                log_level=logging.getLogger().getEffectiveLevel(),
            ),
            on_result=self._on_worker_result,
            on_lost=self._on_lost,
            deadline=JobDeadline(config.job_deadline_factor, config.job_deadline_min),
            on_failed=self._no_workers,
        )
        self.exit_code = 0  # 1: every worker given up (edge_agent.supervisor's restart window)
        # The IP cameras this process runs (cli.publish_cameras sets it): their state for the
        # service stats (stats.hosted_stats), read at each stats_interval.
        self.hosted_status: Callable[[], dict[str, dict[str, Any]]] | None = None
        self.mqtt = ManagedClient(
            config.broker,
            # Stable: after a fast restart, this session takes over the half-open old one instead
            # of its Last Will overwriting `online` later.
            client_id=client_id("listen-frame", config.instance),
            # The broker drops an oversized frame before paho would buffer it.
            max_packet_size=packet_size_for_payload(config.max_payload),
            will=(self.availability_topic, OFFLINE),
            on_connected=self._subscribe_and_republish,
            on_message=self._route_cameras,
        )
        # Several instances (cluster.py): who is live and who owns which camera, the ROI
        # acknowledgements of all of them, counters summed over them, the stats we owe.
        self.cluster = Cluster(
            ClusterIdentity(config.instance, self.topics, config.max_cameras),
            self.mqtt.publish,
            self.registry,
            self.state,
            self.bad,
            self.lock,
        )
        # What arrives under `<base>/<cam>/`: frames and announces are ours, the rest the channel's.
        self.router = TopicRouter(
            self.topics,
            {
                "frame": self._on_frame,
                "availability": lambda cam, msg: self.registry.availability(cam, msg.payload),
                **{rest: self._to_channel(rest) for rest in CameraChannel.ROUTES},
            },
        )
        self._timer = threading.Thread(target=self._timer_loop, name="bobby-timer", daemon=True)
        self.recording = config.recording  # clips of dumb cameras (recording.py, events.py)
        self.events: dict[str, CameraEvents] = {}
        self.record_subs: set[str] = set()  # cameras whose frames we also take directly (RECORD_SUB)

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
        # What a killed run left, listed before this one records anything.
        left = leftovers(self.recording) if self.recording.enabled else []
        self.mqtt.start(connect_timeout)
        self._timer.start()
        if self.recording.enabled:
            log.info("recording clips of visits under %s", self.recording.directory)
            # Closed, and their ends published (QoS 1: kept until connected).
            threading.Thread(target=self._recover, args=(left,), name="bobby-recover", daemon=True).start()

    def _recover(self, left: list[tuple[str, Path]]) -> None:
        try:
            n = recover_leftovers(self.recording, self.service_id, self._publish_event, left)
            self.counters["clips_recovered"] += n
        except Exception:
            log.exception("recovering unfinished clips failed")

    def _publish_event(self, cam_id: str, payload: dict[str, object]) -> None:
        self.mqtt.publish(self.topics.event(cam_id), event_json(payload), qos=1)

    def stop(self) -> None:
        log.info("stopping: marking %s offline", self.service_id)
        began = time.monotonic()
        self.stop_event.set()
        for events in list(self.events.values()):  # clips closed, their ends published first
            events.close()
        clips = time.monotonic()
        self.mqtt.stop(final=(self.availability_topic, OFFLINE))
        offline = time.monotonic()
        self.dispatcher.stop()
        if self._timer.is_alive():
            self._timer.join(2)
        log.info(
            "stopped in %.1f s (clips %.1f s, offline %.1f s, workers %.1f s)",
            time.monotonic() - began,
            clips - began,
            offline - clips,
            time.monotonic() - offline,
        )

    def serve_forever(self) -> None:
        # Woken every second: a Python signal handler runs only in the main thread, and a
        # SIGTERM the kernel hands to another thread (PyAV's, paho's, the recorder's) does not
        # interrupt a wait without a timeout, so an untimed wait could miss the stop for good.
        while not self.stop_event.wait(1.0):
            pass

    def _no_workers(self) -> None:
        """Every worker was given up: stop, marked offline, with status 1 (to be restarted whole)."""
        self.exit_code = 1
        self.stop_event.set()

    # ---- MQTT in ---------------------------------------------------------------------------

    def _frame_subscription(self) -> str:
        topic = self.topics.all("frame")
        return f"$share/{self.config.share_group}/{topic}" if self.config.share_group else topic

    def _subscribe_and_republish(self, client: ManagedClient) -> None:
        t = self.topics
        # The other instances first (who owns what, their counters), then announces, then the
        # rest of the retained state, frames last: the broker delivers retained messages in the
        # order of the subscriptions, so the live instances are known, and a camera and its
        # channel's earlier state too, before its first frame is served.
        # A camera removed in HA (`forget`) before the announces: its retained announce is then
        # not followed (docs/mqtt.md, forget).
        for topic in (
            t.service_availability(KIND, "+"),
            t.service_stats(KIND, "+"),
            t.all("forget"),
            t.all("announce"),
            t.all("availability"),
            t.all("rois"),
            t.all("detection", "set"),
            t.all("detection", "state"),
            t.all("person"),
            t.all("person", "+"),
            t.all("rois", "applied", "+"),
        ):
            client.subscribe(topic, 1)
        # The other instances' analysed frames, and the owner's figures where a new owner carries
        # on; not our own back from the broker (one message per analysed frame otherwise).
        client.subscribe(t.all("detections"), 0, no_local=True)
        client.subscribe(t.all("stats"), 0, no_local=True)
        if self.config.discovery:
            client.subscribe(f"{self.config.discovery_prefix}/status", 1)
        client.subscribe(self._frame_subscription(), 0)
        for cam_id in sorted(self.record_subs):
            client.subscribe(self.topics.frame(cam_id), 0, subscription_id=RECORD_SUB)
        client.publish(self.availability_topic, ONLINE, qos=1, retain=True)
        # After a reconnect the broker may have lost our retained state. With other instances
        # live, read it back before publishing (channel.reconnected, docs/listen_frame.md).
        resync = len(self.cluster.instances.live) > 1
        for cam in self.registry.values():
            settled = cam.channel.settled
            cam.channel.reconnected(resync)
            if settled and not cam.channel.settled:
                cam.settle_at = time.monotonic() + STATE_WAIT

    def _route_cameras(self, msg: mqtt.MQTTMessage) -> None:
        topic = msg.topic
        if home_assistant_message(
            msg,
            self.config.discovery_prefix if self.config.discovery else None,
            lambda: [cam.channel for cam in self.registry.values()],
            lambda cam_id: cam.channel if (cam := self.registry.get(cam_id)) is not None else None,
            offline=self.cluster.home_assistant_offline,
        ):
            return
        parts = self.topics.split(topic)
        if parts is None:
            return
        if parts[0] == KIND:  # an instance's availability or stats
            self.cluster.on_instance_message(parts[1], msg)
            return
        if not valid_camera_id(parts[0]):
            self.counters["unknown_camera"] += 1
            self.bad.warning("unknown_camera", "ignoring %s: %r is not a valid camera id", topic, parts[0])
            return
        cam_id, rest = parts
        if rest in ("detections", "stats") or rest.startswith("rois/applied/"):
            cam = self.registry.get(cam_id)  # what instances say about cameras we do not serve: not ours
            if cam is not None and cam.served:
                self.cluster.on_peer_message(cam, rest, msg)
            return
        if rest == "forget":
            self._on_forget(cam_id, msg)
        elif rest == "announce":
            self._on_announce(cam_id, msg)
        elif self.registry.get(cam_id) is not None or (
            self.registry.allowed(cam_id)
            and not self.registry.is_removed(cam_id)
            and self.registry.admit(cam_id)[0] is not None
        ):
            self.router.dispatch(msg)
        elif rest != "availability":
            self.registry.hold(cam_id, rest, msg)  # retained state is kept for its announce

    def _to_channel(self, rest: str) -> Callable[[str, mqtt.MQTTMessage], None]:
        route = CameraChannel.ROUTES[rest]

        def handler(cam_id: str, msg: mqtt.MQTTMessage) -> None:
            cam = self.registry.get(cam_id)
            if cam is not None:
                getattr(cam.channel, route)(msg)

        return handler

    def _new_camera(self, cam_id: str) -> CameraState:
        # arg-type: the channel is made next, its hooks read this state; set before any use
        cam = CameraState(cam_id, None)  # type: ignore[arg-type]
        cam.channel = CameraChannel(
            self.mqtt,
            cam_id,
            self.channel_settings,
            self.default_roi_set,
            ChannelHooks(
                # The owner publishes discovery, so the entities follow its availability: they stay
                # available while an instance serves the camera (a new owner republishes).
                availability_topics=lambda: [self.topics.availability(cam_id), self.availability_topic],
                name=lambda: cam.name,
                sw_version=lambda: cam.sw_version,
                owner=lambda: self.cluster.instances.owns(cam_id),
                ack=lambda version, ok, error, active: self.cluster.ack(cam_id, version, ok, error, active),
                removed_in_ha=lambda: self._publish_forget(cam_id, "device deleted in Home Assistant"),
                on_person=lambda roi, on, now: self._camera_events(cam_id).person_changed(roi, on, now),
                answers=lambda: cam.served,  # a smart camera answers its own commands
            ),
            bad=self.bad,
        )
        self.cluster.camera_added(cam)
        return cam

    def _camera_events(self, cam_id: str) -> CameraEvents:
        events = self.events.get(cam_id)
        if events is None:
            events = self.events[cam_id] = CameraEvents(
                cam_id,
                self.service_id,
                self.recording,
                self._publish_event,
                owner=lambda: self.cluster.instances.owns(cam_id),
                counters=self.counters,
            )
        return events

    def _serve(self, cam: CameraState) -> None:
        """From the first frame or announce on: the camera's state and discovery are published."""
        cam.settle_at = None
        if cam.served and not cam.channel.settled:
            cam.channel.settle()

    def _captured_at(self, msg: mqtt.MQTTMessage, received: float) -> float:
        """The frame's capture time: the camera's `captured_at` when it is a time, else `received`."""
        props = getattr(msg, "properties", None)
        for key, value in getattr(props, "UserProperty", None) or ():
            if key == "captured_at":
                try:
                    value = float(value)
                except ValueError:
                    continue
                # A camera's clock may be off, but NaN, infinities or another decade are not times.
                if math.isfinite(value) and abs(value - received) < CAPTURED_AT_TOLERANCE:
                    return float(value)
        return received

    def _record_subscription(self, cam: CameraState, owned: bool) -> None:
        """With a share group: the owner of a recorded camera takes all its frames for the clip."""
        if not (self.config.share_group and self.recording.enabled and self.mqtt.is_v5):
            return
        topic = self.topics.frame(cam.cam)
        if owned and cam.served and cam.cam not in self.record_subs:
            self.record_subs.add(cam.cam)
            self.mqtt.subscribe(topic, 0, subscription_id=RECORD_SUB)
        elif not (owned and cam.served) and cam.cam in self.record_subs:
            self.record_subs.discard(cam.cam)
            self.mqtt.unsubscribe(topic)

    def _on_record_frame(self, cam_id: str, msg: mqtt.MQTTMessage) -> None:
        """A frame from the owner's own subscription: to the clip only (the shared copy, when it
        is ours, is detection's)."""
        cam = self.registry.get(cam_id)
        events = self.events.get(cam_id)
        if cam is None or events is None or not cam.served or len(msg.payload) > self.config.max_payload:
            return
        received = time.time()
        events.frame_in(bytes(msg.payload), self._captured_at(msg, received), received)

    def _on_frame(self, cam_id: str, msg: mqtt.MQTTMessage) -> None:
        if RECORD_SUB in (getattr(getattr(msg, "properties", None), "SubscriptionIdentifier", None) or ()):
            self._on_record_frame(cam_id, msg)
            return
        received = time.time()
        self.counters["frames_in"] += 1
        size = len(msg.payload)
        cam = self.registry.get(cam_id)
        if cam is None:
            return
        self.registry.frame(cam_id, received)
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
        captured = self._captured_at(msg, received)
        roi_set = channel.roi_set
        motion = self.gates.check(cam_id, roi_set.detection, received, channel.person_on())
        jpeg = bytes(msg.payload)
        events = self._camera_events(cam_id)
        if cam_id not in self.record_subs:  # else the clip has all frames from our own subscription
            events.frame_in(jpeg, captured, received)  # the clip's ring: a reference, nothing decoded
        # The last-person image's own schedule, else only a frame that may beat the visit's best.
        want_snapshot, above = channel.want_snapshot(received), 0.0
        if not want_snapshot and (floor := events.snapshot_floor()) is not None:
            want_snapshot, above = True, floor
        frame = Frame(cam_id, jpeg, received, captured, roi_set, want_snapshot, motion, above)
        if not self.dispatcher.submit(frame):
            cam.counters["dropped"] += 1
            self.counters["dropped"] += 1

    # ---- forget: a camera removed in Home Assistant (docs/mqtt.md, forget) -----------------

    def _publish_forget(self, cam_id: str, reason: str) -> None:
        """HA deleted the camera's device: the retained marker every instance (this one too) follows."""
        payload = Forget(by=self.service_id, reason=reason).to_json()
        self.mqtt.publish(self.topics.forget(cam_id), payload, qos=1, retain=True)

    def _on_forget(self, cam_id: str, msg: mqtt.MQTTMessage) -> None:
        if not msg.payload:  # the marker was cleared: the camera announced itself again
            if self.registry.unremove(cam_id):
                log.debug("%s: its forget was cleared", cam_id)
            return
        try:
            forget = Forget.parse(msg.payload)
        except CommandError as err:
            self.counters["bad_forget"] += 1
            self.bad.warning(f"forget:{cam_id}", "%s: refused the forget: %s", cam_id, err)
            return
        self.registry.removed(cam_id)
        self._drop_events(cam_id)
        cam = self.registry.forget(cam_id)
        self.gates.forget(cam_id)
        instances = set(self.cluster.forget(cam_id)) | {self.config.instance}
        if cam is None:  # (debug: anyone may publish forgets for ids nobody serves)
            log.debug("%s: removed in Home Assistant (by %s): not served", cam_id, forget.by or "someone")
            return
        self.counters["removed"] += 1
        log.warning(
            "%s: removed in Home Assistant (by %s%s): forgotten, its discovery and retained state "
            "emptied; it is offered again when it announces itself again",
            cam_id,
            forget.by or "someone",
            f": {forget.reason}" if forget.reason else "",
        )
        cam.channel.forget([self.topics.cam(cam_id, "rois", "applied", i) for i in sorted(instances)])

    def _on_announce(self, cam_id: str, msg: mqtt.MQTTMessage) -> None:
        if not msg.payload:
            return  # a camera removed its retained announce; it is forgotten when it stays away
        try:
            announce = Announce.parse(cam_id, msg.payload)
        except ValueError as err:
            self.counters["bad_announce"] += 1
            self.bad.warning(f"announce:{cam_id}", "%s: refused the announce: %s", cam_id, err)
            return
        if self.registry.is_removed(cam_id):
            if msg.retain:
                log.info("%s: removed in Home Assistant: its retained announce is not followed", cam_id)
                return
            # The camera announces itself now: offered again (a new device and discovery in HA).
            # Its marker goes (a camera clears it itself, an older one does not), so that a
            # restart of this service follows the new announce.
            self.registry.unremove(cam_id)
            self.mqtt.publish(self.topics.forget(cam_id), b"", qos=1, retain=True)
            log.info("%s: announced itself again after its removal: served again", cam_id)
        cam, held = self.registry.admit(cam_id)
        if cam is None:
            return
        changed = (cam.name, cam.mode, cam.sw_version) != (announce.name, announce.mode, announce.sw_version)
        if cam.served and announce.mode == "smart" and cam.channel.settled:
            self.counters["turned_smart"] += 1
            log.warning(
                "%s now announces itself as a smart camera: listen_frame stops detecting for it", cam_id
            )
        cam.name, cam.mode, cam.sw_version = announce.name, announce.mode, announce.sw_version
        cam.platform = announce.platform
        for earlier in held:  # its retained state, read before it announced
            self.router.dispatch(earlier)
        if not cam.served:
            return
        if cam.channel.settled:
            if changed:
                cam.channel.publish_discovery()
        elif msg.retain:
            # Delivered as we subscribed: the camera's other retained state (subscribed after
            # the announces) is still on its way. Its first frame, or STATE_WAIT, settles it.
            cam.settle_at = cam.settle_at or time.monotonic() + STATE_WAIT
        else:
            self._serve(cam)  # a camera announcing now: whatever it had retained came before

    # ---- results ---------------------------------------------------------------------------

    def _count_error(self, cam: CameraState, kind: str) -> None:
        cam.counters[f"error_{kind}"] += 1
        self.counters[kind] += 1

    def _on_lost(self, frame: Frame, reason: str) -> None:
        cam = self.registry.get(frame.cam)
        if cam is not None:
            self._count_error(cam, reason)

    def _on_worker_result(self, frame: Frame, result: WorkerResult) -> None:
        cam = self.registry.get(frame.cam)
        if cam is None:
            return  # forgotten while its frame was in a worker
        if result.error:
            cam.active = True
            self._count_error(cam, result.error)
            self.bad.warning(f"decode:{frame.cam}", "%s: dropped a frame: %s", frame.cam, result.detail)
            return
        channel = cam.channel
        if not channel.detection.on:
            return  # switched off while the frame was in a worker
        person = any(o.label == "person" for o in result.objects)
        boxes = tuple(o.box for o in result.objects if o.label == "person")
        gate_answer = (result.thumb, result.inferred, person, result.motion, result.moved, boxes)
        self.gates.result(frame.cam, frame.received_at, *gate_answer)
        if not result.inferred:  # the motion gate saw nothing new: no detections message
            self.counters["motion_skipped"] += 1
            cam.counters["motion_skipped"] += 1
            cam.active = True
            return
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
            result.regions,
        )
        self.mqtt.publish(self.topics.detections(frame.cam), payload)
        if result.snapshot is not None:
            channel.offer_snapshot(result.snapshot, now)
        self._camera_events(frame.cam).analysed(result.objects, result.snapshot, frame.jpeg, now)
        self.counters["analysed"] += 1
        self.counters["inferences"] += result.inferences
        cam.counters["analysed"] += 1
        cam.active = True  # a frame that arrived before the last stats message may finish after it
        cam.window.add(result.inference_ms, (time.time() - frame.received_at) * 1000.0, result.inferences)

    # ---- timers and stats ------------------------------------------------------------------

    def _timer_loop(self) -> None:
        next_stats = time.monotonic() + self.config.stats_interval
        while not self.stop_event.wait(0.5):
            now = time.time()
            for cam in self.registry.values():
                if cam.settle_at is not None and time.monotonic() >= cam.settle_at:
                    self._serve(cam)
                cam.channel.tick(now)
                events = self.events.get(cam.cam)
                if events is not None:
                    owned = bool(cam.owned) and cam.channel.settled and not cam.channel.forgotten
                    self._record_subscription(cam, owned)
                    events.ownership(owned, cam.channel.person_on(), now)
                    events.tick(now)
            for cam_id in self.registry.gone(now):
                self._forget(cam_id)
            if time.monotonic() >= next_stats:
                next_stats += self.config.stats_interval
                self.publish_stats()

    def _drop_events(self, cam_id: str) -> None:
        """A camera forgotten: its visit ends, its clip is closed, its own frame subscription goes."""
        events = self.events.pop(cam_id, None)
        if events is not None:
            events.close()
        if cam_id in self.record_subs:
            self.record_subs.discard(cam_id)
            self.mqtt.unsubscribe(self.topics.frame(cam_id))

    def _forget(self, cam_id: str) -> None:
        self._drop_events(cam_id)
        cam = self.registry.forget(cam_id)
        self.gates.forget(cam_id)
        self.cluster.forget(cam_id)
        if cam is None:
            return
        log.info(
            "%s: offline without a frame for %.0f s: forgotten, its discovery removed",
            cam_id,
            self.config.forget_after,
        )
        cam.channel.remove_discovery()
        self.counters["forgotten"] += 1

    def publish_stats(self) -> None:
        hosted = self.hosted_status() if self.hosted_status is not None else None
        self.cluster.publish_stats(
            self.config.stats_interval, len(self.dispatcher.workers), self.dispatcher.restarts, hosted
        )
