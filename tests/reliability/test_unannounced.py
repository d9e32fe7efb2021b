"""500 camera ids that never announced themselves send a frame each: no Home Assistant device
appears for any of them (no discovery config, kept by the broker or republished on HA's birth),
and none is analysed. One announced camera beside them is served as usual.
Figures: docs/reliability.md, "Unannounced cameras".
"""

from __future__ import annotations

import json
import time

from tests.reliability.conftest import Cameras, Service
from tests.reliability.payloads import tiny_jpeg
from tests.support.mqtt import Collector

GHOSTS = 500


def ghost_configs(client: Collector, ghosts: set[str]) -> set[str]:
    """Discovery config topics (non-empty) of any ghost id: homeassistant/<c>/bobby_<id>/<o>/config."""
    out = set()
    for m in list(client.messages):
        parts = m.topic.split("/")
        if len(parts) >= 4 and parts[0] == "homeassistant" and m.payload and parts[2][6:] in ghosts:
            out.add(m.topic)  # parts[2] is bobby_<id>
    return out


def test_500_unannounced_ids_get_no_discovery_and_no_analysis(
    own_mosquitto, model_path, person_jpeg, base, figure
):
    broker = own_mosquitto
    service = Service(broker, model_path, base, 1)
    watch = Collector(broker, [f"{base}/#", "homeassistant/#"])
    try:
        service.wait_online(watch)
        cams = Cameras(watch, base)
        cams.announce("real")
        cams.served("real")
        ghosts = {f"ghost{i:03d}" for i in range(GHOSTS)}
        frame = tiny_jpeg()  # a valid JPEG: if it were analysed, that would cost little
        t0 = time.monotonic()
        for cam in sorted(ghosts):
            watch.client.publish(f"{base}/{cam}/frame", frame, qos=0)
        # The service reads its messages in order: once it acknowledges this ROI set, it has seen
        # every ghost frame (and, without the fix, published their discovery).
        watch.publish(f"{base}/real/rois", json.dumps({"version": 7, "rois": []}), retain=True)
        try:
            watch.wait_first(
                f"{base}/real/rois/applied", lambda p: json.loads(p)["version"] == 7, timeout=120
            )
            handled = time.monotonic() - t0
        except AssertionError:
            handled = float("inf")  # the counts below say what happened
        cams.frame("real", person_jpeg)
        try:
            watch.wait_first(f"{base}/real/detections", timeout=60)
        except AssertionError:
            pass
        time.sleep(2.0)
        live = ghost_configs(watch, ghosts)
        # What the broker keeps: a fresh subscriber gets every retained config.
        fresh = Collector(broker, ["homeassistant/#"])
        time.sleep(1.5)
        retained = ghost_configs(fresh, ghosts)
        real_configs = [m.topic for m in fresh.messages if "/bobby_real/" in m.topic and m.payload]
        # Home Assistant's birth makes every service republish discovery.
        watch.publish("homeassistant/status", b"online", retain=True)
        time.sleep(2.0)
        after_birth = ghost_configs(watch, ghosts) - live
        fresh.close()
        answered = {
            m.topic.split("/")[1]
            for m in watch.messages
            if m.topic.split("/")[1] in ghosts and not m.topic.endswith(("/frame", "/availability"))
        }
        stats = [json.loads(p) for p in watch.payloads(service.stats_topic) if p]
        figure(
            f"unannounced {GHOSTS} ids, one frame each (handled in {handled:.1f} s): "
            f"{len(retained)} retained discovery config(s) for them "
            f"({len({t.split('/')[2] for t in retained})} device(s)), {len(live)} published, "
            f"{len(after_birth)} more after HA's birth, {len(answered)} id(s) answered on their own topics; "
            f"the announced camera: {len(real_configs)} config(s); "
            f"service stats errors {stats[-1]['errors'] if stats else None}"
        )
        assert service.alive() and not service.tracebacks(), service.tail()
        assert real_configs, "the announced camera has no discovery config: the check would see nothing"
        assert not retained and not live and not after_birth, (
            f"{len(retained | live | after_birth)} discovery config(s) for unannounced ids, e.g. "
            f"{sorted(retained | live | after_birth)[:5]}"
        )
        assert not answered, f"{len(answered)} unannounced id(s) got answers, e.g. {sorted(answered)[:5]}"
    finally:
        watch.close()
        service.stop()
