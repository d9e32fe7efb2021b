"""Home Assistant's will, against the real listen_frame and a real Mosquitto: the wiring of what
tests/edge/test_ha_offline_inproc.py tests in-process (the announce's platform kept, HA's status
under a configured discovery prefix routed to the cluster)."""

from __future__ import annotations

import json
import time
import uuid

from tests.support.mqtt import Collector
from tests.support.procs import listen_frame


def test_home_assistants_will_takes_only_its_own_camera_offline(mosquitto, model_path):
    base = f"hao{uuid.uuid4().hex[:6]}"
    prefix = f"ha-{base}"  # a discovery prefix of the test's own (not `homeassistant`)
    c = Collector(mosquitto, [f"{base}/#", f"{prefix}/#"])
    for cam, platform in (("yard", "home_assistant"), ("door", "picamera2")):
        body = {"id": cam, "name": cam, "mode": "dumb", "sw_version": "test", "platform": platform}
        c.publish(f"{base}/{cam}/announce", json.dumps(body), retain=True)
        c.publish(f"{base}/{cam}/availability", "online", retain=True)
    with listen_frame(mosquitto, model_path, base, "hao", "--discovery-prefix", prefix, "--workers", "1"):
        c.wait_payload(f"{base}/listen_frame/hao/availability", b"online", timeout=60)
        for cam in ("yard", "door"):  # served (settled): their discovery is out
            c.wait_for(
                lambda cam=cam: any(m.payload and f"/bobby_{cam}/" in m.topic for m in c.messages),
                what=f"{cam}'s discovery",
            )
        c.clear()
        c.publish(f"{prefix}/status", "offline")  # HA's will, as the broker delivers it
        c.wait_payload(f"{base}/yard/availability", b"offline", timeout=30)
        time.sleep(1.0)
        assert c.payloads(f"{base}/door/availability") == []
        # The retained `offline` is what a client reading the camera now gets.
        fresh = Collector(mosquitto, f"{base}/+/availability")
        try:
            assert fresh.wait_payload(f"{base}/yard/availability", b"offline", timeout=10)
            fresh.wait_payload(f"{base}/door/availability", b"online", timeout=10)
        finally:
            fresh.close()
    c.close()
