"""Hostile payloads on the topics listen_frame's instances use between themselves, against the
running service: nothing raises out of a handler, each bad message is counted, and detection
goes on.

`<base>/<cam>/stats`, `<base>/<cam>/detections`, `<base>/<cam>/rois/applied/<instance>`,
`<base>/listen_frame/<instance>/stats` and `…/availability` are read by every instance (to fold
the others' detections, counters and acknowledgements in) and anyone on the broker can publish
there. A 16 KiB `[[[[…` on `<cam>/stats` raised RecursionError out of the handler (issue 19);
it has a test of its own here, and is the first of the big shapes of the fuzzing run.
Figures: docs/reliability.md, "Fuzzing".
"""

from __future__ import annotations

import collections
import json
import random
import time

from tests.reliability.conftest import Service, strict_json
from tests.reliability.payloads import CAMS, deep_16k, peer_payloads
from tests.support.mqtt import Collector

TOTAL = 1_000
PHANTOMS = ("peer", "ghost")  # instance names the payloads claim (never our own, "rel")


def errors(watch: Collector, service: Service) -> dict:
    payload = watch.last(service.stats_topic)
    return strict_json(payload).get("errors", {}) if payload else {}


def setup(broker, model_path, base, cams: list[str]):
    from tests.reliability.conftest import Cameras

    service = Service(broker, model_path, base, 1)
    watch = Collector(broker, [f"{base}/#"])
    service.wait_online(watch)
    cameras = Cameras(watch, base)
    for cam in cams:
        cameras.announce(cam)
    for cam in cams:
        cameras.served(cam)
    return service, watch, cameras


def test_a_16_kib_nested_array_on_a_cameras_stats_is_counted_not_raised(own_mosquitto, model_path, base):
    service, watch, _ = setup(own_mosquitto, model_path, base, ["yard"])
    try:
        before = errors(watch, service).get("bad_stats", 0)
        watch.publish(f"{base}/yard/stats", deep_16k)
        watch.wait_for(lambda: errors(watch, service).get("bad_stats", 0) > before, 30, "bad_stats counted")
        time.sleep(0.5)
        assert service.alive()
        assert service.tracebacks() == [], service.tail()
        assert "yard: ignoring a stats message: nested too deeply" in service.log()
    finally:
        watch.close()
        service.stop()


def test_fuzz_the_peer_topics_no_handler_raises_and_detection_goes_on(
    own_mosquitto, model_path, person_jpeg, base, figure
):
    cams = [f"pz{i}" for i in range(CAMS)]
    t0 = time.monotonic()
    payloads = peer_payloads(TOTAL, random.Random(19))
    generated = time.monotonic() - t0
    service, watch, cameras = setup(own_mosquitto, model_path, base, ["good", *cams])
    try:
        cameras.every_frame_inferred("good")
        cameras.frame("good", person_jpeg)
        watch.wait_first(f"{base}/good/detections", timeout=60)

        rng = random.Random(20)
        infos = []
        shapes = collections.Counter()
        t0 = time.monotonic()
        for p in payloads:
            cam = cams[p.cam]
            instance = rng.choice(PHANTOMS)
            topic = {
                "camera stats": f"{base}/{cam}/stats",
                "detections": f"{base}/{cam}/detections",
                "ack": f"{base}/{cam}/rois/applied/{instance}",
                "instance stats": f"{base}/listen_frame/{instance}/stats",
                "instance availability": f"{base}/listen_frame/{instance}/availability",
            }[p.kind]
            body = p.body.replace(b'"CAM"', json.dumps(cam).encode()) if p.shape == "json" else p.body
            shapes[p.kind] += 1
            infos.append(watch.client.publish(topic, body, qos=1, retain=p.retain))
        for info in infos:
            info.wait_for_publish(60)
        published = time.monotonic() - t0

        # Detection goes on: a frame sent right behind the barrage is answered.
        sent = time.monotonic()
        cameras.frame("good", person_jpeg)
        answer = watch.wait_first(
            f"{base}/good/detections", lambda b: strict_json(b)["persons"] >= 1, timeout=60, after=sent
        )
        latency = answer.at - sent
        # Every kind of bad message is counted (stats every second: wait for the counts).
        watch.wait_for(
            lambda: all(
                errors(watch, service).get(k, 0) > 0 for k in ("bad_stats", "bad_detections", "bad_ack")
            ),
            30,
            "bad_stats, bad_detections and bad_ack counted",
        )
        counted = {k: v for k, v in errors(watch, service).items() if k.startswith("bad_")}
        not_json = []
        for m in list(watch.messages):
            if m.topic.startswith(f"{base}/good/") and m.topic.endswith(("/detections", "/stats")):
                try:
                    strict_json(m.payload)
                except ValueError as err:
                    not_json.append(f"{m.topic}: {err}")
        tracebacks = service.tracebacks()
        figure(
            f"fuzz peers: {len(payloads)} payloads ({', '.join(f'{k} {v}' for k, v in sorted(shapes.items()))}) "
            f"generated in {generated:.1f} s, published in {published:.1f} s; "
            f"{'alive' if service.alive() else 'DEAD'}, {len(tracebacks)} traceback(s), counted {counted}, "
            f"good frame answered in {latency:.2f} s, {len(service.log().splitlines())} log lines"
        )
        assert service.alive(), service.tail()
        assert tracebacks == [], f"{len(tracebacks)} traceback(s); the first:\n{tracebacks[0]}"
        assert not_json == [], not_json[:3]
    finally:
        watch.close()
        service.stop()
