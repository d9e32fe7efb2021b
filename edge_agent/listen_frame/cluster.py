"""listen_frame's instance cluster: the other instances, and what this one says to them.

One object holds what several instances share (docs/listen_frame.md, "Several instances"): the
live instances and who owns which camera (`Instances`), the ROI acknowledgements of all of them
(`RoiAcks`, both in ownership.py) and the counters summed over them (`CounterTotals`, stats.py).
The messages of the other instances reach it here, a camera changes hands here, and the stats
and acknowledgements this instance owes are published from here.

It is given only what it needs: who this instance is (`ClusterIdentity`), a `publish(topic,
payload, qos=0, retain=False)` callable, the camera registry, this instance's own figures
(`InstanceState`), the rate-limited log and the service's lock. The service (service.py) wires it;
the tests drive it with a recording publisher and no broker (tests/edge/test_cluster_inproc.py).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from edge_agent.ids import valid_camera_id, valid_instance
from edge_agent.listen_frame.cameras import HOME_ASSISTANT_PLATFORM, CameraRegistry
from edge_agent.listen_frame.ownership import (
    KIND,
    Instances,
    RoiAcks,
    parse_ack,
    parse_peer_detections,
    peer_service,
)
from edge_agent.listen_frame.state import CameraState, CameraWindow, InstanceState
from edge_agent.listen_frame.stats import (
    CounterTotals,
    camera_stats,
    own_counters,
    parse_camera_stats,
    parse_service_stats,
    service_stats,
)
from edge_agent.mqtt.messages import rois_ack
from edge_agent.mqtt.topics import OFFLINE, Topics
from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger("edge_agent.listen_frame")

Publish = Callable[..., Any]  # publish(topic, payload, qos=0, retain=False), as ManagedClient's


@dataclass(frozen=True)
class ClusterIdentity:
    """Who this instance is on the broker."""

    instance: str
    topics: Topics
    max_cameras: int = 64

    @property
    def service_id(self) -> str:
        return f"{KIND}/{self.instance}"


class Cluster:
    """The multi-instance state and the handlers of the multi-instance topics, for one instance."""

    def __init__(
        self,
        identity: ClusterIdentity,
        publish: Publish,
        registry: CameraRegistry[CameraState],
        state: InstanceState,
        bad: RateLimitedLog,
        lock: threading.RLock | None = None,
    ) -> None:
        self.identity = identity
        self.instance = identity.instance
        self.service_id = identity.service_id
        self.topics = identity.topics
        self.publish = publish
        self.registry = registry
        self.state = state
        self.counters = state.counters
        self.bad = bad
        self.lock = lock if lock is not None else threading.RLock()
        self.instances = Instances(identity.instance, on_change=self.instances_changed)
        self.acks = RoiAcks(self.service_id)
        self.totals = CounterTotals()

    # ---- cameras -------------------------------------------------------------------------------

    def camera_added(self, cam: CameraState) -> None:
        """A camera the registry just admitted: whether we own it (then its totals start from ours)."""
        cam.owned = self.instances.owns(cam.cam)
        if cam.owned:
            self.totals.take_over(cam.cam)

    def forget(self, cam_id: str) -> list[str]:
        """A camera forgotten: its totals and acknowledgements go; the instances that had acked it."""
        self.totals.forget(cam_id)
        return self.acks.forget(cam_id)

    def home_assistant_offline(self) -> list[str]:
        """Home Assistant's will (`<prefix>/status` = `offline`): the cameras it publishes itself.

        A camera of the integration's ha_source.py (announce `platform: home_assistant`) goes
        through HA's MQTT client, which has no Last Will per camera: its retained `online` would
        stay after a crash. The owner of each such camera publishes its `offline` (retained), as
        its will would have; every instance then treats it as any camera gone offline (no frames
        expected, forgotten after forget_after; its person states clear as for any camera without
        frames). Home Assistant, back, publishes `online` again. The cameras marked, in order.
        """
        marked: list[str] = []
        with self.lock:
            for cam in self.registry.values():
                if cam.platform != HOME_ASSISTANT_PLATFORM or not self.instances.owns(cam.cam):
                    continue
                if cam.cam in self.registry.offline_since:
                    continue  # already offline (it said so, or an earlier will)
                self.publish(self.topics.availability(cam.cam), OFFLINE, qos=1, retain=True)
                self.registry.availability(cam.cam, OFFLINE.encode())
                marked.append(cam.cam)
        if marked:
            log.warning(
                "Home Assistant went offline: its camera(s) %s published offline (they have no Last Will)",
                ", ".join(marked),
            )
        return marked

    # ---- the other instances -------------------------------------------------------------------

    def instances_changed(self, joined: set[str], left: set[str]) -> None:
        """An instance came or went: the cameras that change hands, and the acknowledgements."""
        live = self.instances.live
        log.info(
            "instances: %s (%s)",
            ", ".join(sorted(live)),
            ", ".join([*(f"{i} joined" for i in sorted(joined)), *(f"{i} left" for i in sorted(left))]),
        )
        for cam in self.registry.values():
            owned = self.instances.owns(cam.cam)
            if owned != cam.owned:
                cam.owned = owned
                log.info(
                    "%s: %s",
                    cam.cam,
                    "owned by this instance now"
                    if owned
                    else f"owned by {self.instances.owner(cam.cam)} now",
                )
                if owned and cam.served:
                    self.counters["takeovers"] += 1
                    self.totals.take_over(cam.cam)
                    cam.channel.take_over()
                    if cam.channel.settled:  # HA's health follows the service named in stats
                        self.publish_camera_stats(cam)
            if cam.owned and cam.served:
                self.publish_aggregate_ack(cam.cam, force=False)

    def on_instance_message(self, rest: str, msg: mqtt.MQTTMessage) -> None:
        """`<base>/listen_frame/<rest>`: an instance's availability or stats."""
        instance, _, what = rest.partition("/")
        if what == "availability":
            self.instances.availability(instance, msg.payload)
        elif what == "stats" and msg.payload:
            self._on_instance_stats(instance, msg)

    def _on_instance_stats(self, instance: str, msg: mqtt.MQTTMessage) -> None:
        limit = 4 * self.identity.max_cameras
        try:
            peer = parse_service_stats(
                msg.payload, lambda cam: valid_camera_id(cam) and self.totals.known(cam, limit)
            )
        except ValueError as err:
            self.counters["bad_stats"] += 1
            self.bad.warning(f"stats:{instance}", "ignoring the stats of instance %r: %s", instance[:64], err)
            return
        if instance == self.instance and (peer.run == self.state.run_id or self.state.own_stats_seen):
            return  # ours coming back; an earlier run's are history, counted once, before ours
        for cam, counters in peer.counters.items():
            self.totals.observe(instance, peer.run, cam, counters)
        for cam, totals in peer.totals.items():
            self.totals.seen(cam, totals)

    def on_peer_message(self, cam: CameraState, rest: str, msg: mqtt.MQTTMessage) -> None:
        """What the instances say about a camera we serve: detections, stats, acknowledgements."""
        if rest == "detections":
            self._on_peer_detections(cam, msg)
        elif rest == "stats":
            try:
                service, figures = parse_camera_stats(msg.payload)
            except ValueError as err:  # the owner's, a smart camera's, or anyone's on the broker
                self.counters["bad_stats"] += 1
                self.bad.warning(f"stats:{cam.cam}", "%s: ignoring a stats message: %s", cam.cam, err)
                return
            if service != self.service_id:
                self.totals.seen(cam.cam, figures)
                if cam.owned:  # two owners for a moment (views of the live set differ): never lower
                    self.totals.take_over(cam.cam)
        else:
            instance = rest[len("rois/applied/") :]
            ack = parse_ack(msg.payload)
            if ack is None or not valid_instance(instance):
                if msg.payload:
                    self.counters["bad_ack"] += 1
                    self.bad.warning(
                        f"ack:{cam.cam}", "%s: ignoring a malformed acknowledgement on %s", cam.cam, msg.topic
                    )
                return
            self.acks.record(cam.cam, instance, ack)
            if instance != self.instance:
                self.publish_aggregate_ack(cam.cam, force=False)

    def _on_peer_detections(self, cam: CameraState, msg: mqtt.MQTTMessage) -> None:
        """Another instance's analysed frame of a camera we serve: into our debouncer too."""
        if peer_service(msg.payload) == self.service_id:
            self.counters["own_echoes"] += 1
            return  # our own, back from a broker without MQTT v5's No Local (checked before parsing)
        try:
            peer = parse_peer_detections(cam.cam, msg.payload)
        except ValueError as err:
            self.counters["bad_detections"] += 1
            self.bad.warning(f"peer:{cam.cam}", "%s: ignoring a detections message: %s", cam.cam, err)
            return
        channel = cam.channel
        if peer.instance == self.instance or not self.instances.is_live(peer.instance):
            self.counters["peer_unknown"] += 1
            return
        if peer.rois_version != channel.roi_set.version:
            self.counters["peer_other_version"] += 1  # regions of another set: not comparable
            return
        channel.update(peer.objects, time.time())
        self.counters["peer_detections"] += 1
        cam.active = True
        if peer.inference_ms is not None and peer.e2e_ms is not None:
            cam.window.add(peer.inference_ms, peer.e2e_ms)

    # ---- what this instance says ---------------------------------------------------------------

    def ack(self, cam_id: str, version: int | None, ok: bool, error: str | None, active: int) -> None:
        """Our acknowledgement of a camera's ROI set: ours on our own topic, then the aggregate."""
        payload = rois_ack(version, ok, error, active, self.service_id)
        self.publish(self.topics.cam(cam_id, "rois", "applied", self.instance), payload, qos=1, retain=True)
        ack = parse_ack(payload.encode())
        if ack is not None:
            self.acks.record(cam_id, self.instance, ack)
        self.publish_aggregate_ack(cam_id, force=True)

    def publish_aggregate_ack(self, cam_id: str, force: bool) -> None:
        if not self.instances.owns(cam_id):
            return
        payload = self.acks.aggregate(cam_id, self.instances.live, force=force)
        if payload is not None:
            self.publish(self.topics.rois_applied(cam_id), payload, qos=1, retain=True)

    def _camera_stats(self, cam: CameraState, interval: float) -> dict[str, Any]:
        return camera_stats(
            cam.cam,
            self.service_id,
            interval,
            self.totals.report(cam.cam),
            cam.window,
            cam.channel.detection.state,
            cam.channel.roi_set.version,
            self.instances.live,
        )

    def publish_camera_stats(self, cam: CameraState) -> None:
        """One camera's stats now (a new owner names itself at once), over the interval so far."""
        with self.lock:
            self.totals.observe(self.instance, self.state.run_id, cam.cam, own_counters(cam.counters))
            self.state.own_stats_seen = True
            stats = self._camera_stats(cam, max(0.5, time.monotonic() - self.state.stats_at))
        self.publish(self.topics.stats(cam.cam), json.dumps(stats))

    def publish_stats(
        self,
        interval: float,
        workers: int,
        worker_restarts: int,
        hosted: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Every stats_interval: the cameras' stats (those this instance owns) and the service's
        (with `hosted`: the state of the cameras this process runs, stats.hosted_stats)."""
        with self.lock:
            for cam in self.registry.values():  # our own counters into the totals over instances
                self.totals.observe(self.instance, self.state.run_id, cam.cam, own_counters(cam.counters))
            self.state.own_stats_seen = True
            self.state.stats_at = time.monotonic()
            cameras = [c for c in self.registry.values() if c.active]
            snapshots = []
            for cam in cameras:
                if cam.owned:  # only the owner speaks for the camera
                    snapshots.append((cam, self._camera_stats(cam, interval)))
                cam.window = CameraWindow()
                cam.active = False
        for cam, stats in snapshots:
            self.publish(self.topics.stats(cam.cam), json.dumps(stats))
        # Retained: an instance that starts (or restarts) reads every instance's counters at once.
        self.publish(
            self.topics.service_stats(KIND, self.instance),
            json.dumps(self.service_stats(workers, worker_restarts, hosted)),
            qos=1,
            retain=True,
        )

    def service_stats(
        self, workers: int, worker_restarts: int, hosted: dict[str, dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """`<base>/listen_frame/<instance>/stats` now (stats.service_stats)."""
        counters = self.counters.copy()
        with self.lock:
            cameras = self.registry.values()
            for cam in cameras:
                counters.update({k: cam.channel.counters[k] for k in ("bad_rois", "bad_command")})
        return service_stats(
            self.service_id,
            counters,
            workers=workers,
            worker_restarts=worker_restarts,
            cameras=len(self.registry.cameras),
            live=self.instances.live,
            owned=sum(1 for cam in cameras if cam.owned and cam.served),
            run_id=self.state.run_id,
            per_camera={
                cam.cam: {
                    "counters": own_counters(cam.counters),
                    "totals": self.totals.report(cam.cam, floor=False),
                }
                for cam in cameras
            },
            hosted=hosted,
        )
