"""listen_frame's side of several instances: what it hears from and says to the others.

`Instances` and `RoiAcks` (ownership.py) and `CounterTotals` (stats.py) hold the state; here the
messages of the other instances reach them, and a camera changes hands
(docs/listen_frame.md, "Several instances").
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt

from edge_agent.ids import valid_camera_id, valid_instance
from edge_agent.listen_frame.ownership import parse_ack, parse_peer_detections, peer_service
from edge_agent.listen_frame.stats import camera_stats, own_counters, parse_camera_stats, parse_service_stats
from edge_agent.mqtt.messages import rois_ack

if TYPE_CHECKING:
    from edge_agent.listen_frame.service import CameraState, ListenFrame

log = logging.getLogger("edge_agent.listen_frame")


class Peers:
    """The handlers of the multi-instance topics, for one ListenFrame (`lf`)."""

    def __init__(self, lf: ListenFrame) -> None:
        self.lf = lf

    def instances_changed(self, joined: set[str], left: set[str]) -> None:
        """An instance came or went: the cameras that change hands, and the acknowledgements."""
        live = self.lf.instances.live
        log.info(
            "instances: %s (%s)",
            ", ".join(sorted(live)),
            ", ".join([*(f"{i} joined" for i in sorted(joined)), *(f"{i} left" for i in sorted(left))]),
        )
        for cam in self.lf.registry.values():
            owned = self.lf.instances.owns(cam.cam)
            if owned != cam.owned:
                cam.owned = owned
                log.info(
                    "%s: %s",
                    cam.cam,
                    "owned by this instance now"
                    if owned
                    else f"owned by {self.lf.instances.owner(cam.cam)} now",
                )
                if owned and cam.served:
                    self.lf.counters["takeovers"] += 1
                    self.lf.totals.take_over(cam.cam)
                    cam.channel.take_over()
                    if cam.channel.settled:  # HA's health follows the service named in stats
                        self.publish_camera_stats(cam)
            if cam.owned and cam.served:
                self.publish_aggregate_ack(cam.cam, force=False)

    def on_instance_message(self, rest: str, msg: mqtt.MQTTMessage) -> None:
        instance, _, what = rest.partition("/")
        if what == "availability":
            self.lf.instances.availability(instance, msg.payload)
        elif what == "stats" and msg.payload:
            self._on_instance_stats(instance, msg)

    def _on_instance_stats(self, instance: str, msg: mqtt.MQTTMessage) -> None:
        limit = 4 * self.lf.config.max_cameras
        try:
            peer = parse_service_stats(
                msg.payload, lambda cam: valid_camera_id(cam) and self.lf.totals.known(cam, limit)
            )
        except ValueError as err:
            self.lf.counters["bad_stats"] += 1
            self.lf.bad.warning(
                f"stats:{instance}", "ignoring the stats of instance %r: %s", instance[:64], err
            )
            return
        if instance == self.lf.config.instance and (peer.run == self.lf.run_id or self.lf.own_stats_seen):
            return  # ours coming back; an earlier run's are history, counted once, before ours
        for cam, counters in peer.counters.items():
            self.lf.totals.observe(instance, peer.run, cam, counters)
        for cam, totals in peer.totals.items():
            self.lf.totals.seen(cam, totals)

    def on_peer_message(self, cam: CameraState, rest: str, msg: mqtt.MQTTMessage) -> None:
        if rest == "detections":
            self._on_peer_detections(cam, msg)
        elif rest == "stats":
            try:
                service, figures = parse_camera_stats(msg.payload)
            except ValueError as err:  # the owner's, a smart camera's, or anyone's on the broker
                self.lf.counters["bad_stats"] += 1
                self.lf.bad.warning(f"stats:{cam.cam}", "%s: ignoring a stats message: %s", cam.cam, err)
                return
            if service != self.lf.service_id:
                self.lf.totals.seen(cam.cam, figures)
                if cam.owned:  # two owners for a moment (views of the live set differ): never lower
                    self.lf.totals.take_over(cam.cam)
        else:
            instance = rest[len("rois/applied/") :]
            ack = parse_ack(msg.payload)
            if ack is None or not valid_instance(instance):
                if msg.payload:
                    self.lf.counters["bad_ack"] += 1
                    self.lf.bad.warning(
                        f"ack:{cam.cam}", "%s: ignoring a malformed acknowledgement on %s", cam.cam, msg.topic
                    )
                return
            self.lf.acks.record(cam.cam, instance, ack)
            if instance != self.lf.config.instance:
                self.publish_aggregate_ack(cam.cam, force=False)

    def _on_peer_detections(self, cam: CameraState, msg: mqtt.MQTTMessage) -> None:
        """Another instance's analysed frame of a camera we serve: into our debouncer too."""
        if peer_service(msg.payload) == self.lf.service_id:
            self.lf.counters["own_echoes"] += 1
            return  # our own, back from a broker without MQTT v5's No Local (checked before parsing)
        try:
            peer = parse_peer_detections(cam.cam, msg.payload)
        except ValueError as err:
            self.lf.counters["bad_detections"] += 1
            self.lf.bad.warning(f"peer:{cam.cam}", "%s: ignoring a detections message: %s", cam.cam, err)
            return
        channel = cam.channel
        if peer.instance == self.lf.config.instance or not self.lf.instances.is_live(peer.instance):
            self.lf.counters["peer_unknown"] += 1
            return
        if peer.rois_version != channel.roi_set.version:
            self.lf.counters["peer_other_version"] += 1  # regions of another set: not comparable
            return
        channel.update(peer.objects, time.time())
        self.lf.counters["peer_detections"] += 1
        cam.active = True
        if peer.inference_ms is not None and peer.e2e_ms is not None:
            cam.window.add(peer.inference_ms, peer.e2e_ms)

    def ack(self, cam_id: str, version: int | None, ok: bool, error: str | None, active: int) -> None:
        """Our acknowledgement of a camera's ROI set: ours on our own topic, then the aggregate."""
        payload = rois_ack(version, ok, error, active, self.lf.service_id)
        self.lf.mqtt.publish(
            self.lf.topics.cam(cam_id, "rois", "applied", self.lf.config.instance),
            payload,
            qos=1,
            retain=True,
        )
        ack = parse_ack(payload.encode())
        if ack is not None:
            self.lf.acks.record(cam_id, self.lf.config.instance, ack)
        self.publish_aggregate_ack(cam_id, force=True)

    def publish_aggregate_ack(self, cam_id: str, force: bool) -> None:
        if not self.lf.instances.owns(cam_id):
            return
        payload = self.lf.acks.aggregate(cam_id, self.lf.instances.live, force=force)
        if payload is not None:
            self.lf.mqtt.publish(self.lf.topics.rois_applied(cam_id), payload, qos=1, retain=True)

    def publish_camera_stats(self, cam: CameraState) -> None:
        """One camera's stats now (a new owner names itself at once), over the interval so far."""
        with self.lf.lock:
            self.lf.totals.observe(
                self.lf.config.instance, self.lf.run_id, cam.cam, own_counters(cam.counters)
            )
            self.lf.own_stats_seen = True
            stats = camera_stats(self.lf, cam, max(0.5, time.monotonic() - self.lf.stats_at))
        self.lf.mqtt.publish(self.lf.topics.stats(cam.cam), json.dumps(stats))
