"""Which cameras listen_frame serves: announced ones, within a cap, or those an allow-list names.

Against the real listen_frame, a real Mosquitto and real frames: anything on the broker can
publish under the base topic, and must not create Home Assistant devices or fill memory.
"""

from __future__ import annotations

import json
import time
import uuid

from tests.conftest import PERSON_STILLS
from tests.support.frames import still_jpeg
from tests.support.mqtt import Collector
from tests.support.procs import listen_frame


def prefix_for(base: str) -> str:
    """A discovery prefix of the test's own: other tests leave retained configs under theirs."""
    return f"ha-{base}"


def discovery_of(c: Collector, cam: str) -> list[str]:
    return sorted({m.topic for m in c.messages if m.payload and f"/bobby_{cam}/" in m.topic})


def test_unannounced_cameras_get_nothing_and_announced_ones_their_held_state(
    mosquitto, model_path, media_dir
):
    base = f"adm{uuid.uuid4().hex[:6]}"
    c = Collector(mosquitto, [f"{base}/#", f"{prefix_for(base)}/#"])
    jpeg = still_jpeg(media_dir / PERSON_STILLS[0])
    # An ROI set retained before the camera ever announced (HA saved it, the camera was away).
    c.publish(f"{base}/late/rois", json.dumps({"version": 4, "rois": []}), retain=True)
    with listen_frame(
        mosquitto,
        model_path,
        base,
        "adm",
        "--discovery-prefix",
        prefix_for(base),
        "--workers",
        "1",
        "--max-cameras",
        "3",
    ):
        c.wait_payload(f"{base}/listen_frame/adm/availability", b"online", timeout=60)
        for i in range(40):  # ids that never announced themselves
            c.publish(f"{base}/junk{i}/frame", jpeg, qos=0)
        time.sleep(2.0)
        assert [m.topic for m in c.messages if m.topic.startswith(prefix_for(base) + "/")] == []
        assert not any(m.topic.endswith("/detections") for m in c.messages)
        c.clear()
        # Waited for, not read from the first stats after the sleep: a busy machine may not have
        # gone through all 40 frames by then.
        c.wait_json(f"{base}/listen_frame/adm/stats", lambda s: s["errors"]["unannounced"] >= 40, timeout=30)

        # It announces: served, with the ROI set it had before, and its discovery appears.
        c.announce(f"{base}/late")
        ack = c.wait_json(f"{base}/late/rois/applied", lambda a: a["version"] == 4, timeout=10)
        assert ack["ok"] is True
        c.publish(f"{base}/late/frame", jpeg, qos=0)
        assert json.loads(c.wait_payload(f"{base}/late/detections"))["persons"] >= 1
        assert f"{prefix_for(base)}/binary_sensor/bobby_late/person/config" in discovery_of(c, "late")

        # The cap: two more are served, the next one is not.
        for cam in ("two", "three", "four"):
            c.announce(f"{base}/{cam}")
            c.publish(f"{base}/{cam}/frame", jpeg, qos=0)
        c.wait_payload(f"{base}/three/detections")
        time.sleep(1.0)
        assert c.payloads(f"{base}/four/detections") == [] and discovery_of(c, "four") == []
        c.clear(f"{base}/listen_frame/adm/stats")
        c.wait_json(f"{base}/listen_frame/adm/stats", lambda s: s["errors"]["camera_cap"] >= 1, timeout=30)
    c.close()


def test_a_camera_gone_for_long_is_forgotten_with_its_discovery(mosquitto, model_path, media_dir):
    base = f"fgt{uuid.uuid4().hex[:6]}"
    c = Collector(mosquitto, [f"{base}/#", f"{prefix_for(base)}/#"])
    jpeg = still_jpeg(media_dir / PERSON_STILLS[0])
    # 0.001 h = 3.6 s offline without a frame
    with listen_frame(
        mosquitto,
        model_path,
        base,
        "f",
        "--discovery-prefix",
        prefix_for(base),
        "--workers",
        "1",
        "--forget-after-hours",
        "0.001",
    ):
        c.wait_payload(f"{base}/listen_frame/f/availability", b"online", timeout=60)
        c.announce(f"{base}/gone")
        c.publish(f"{base}/gone/availability", b"online", retain=True)
        c.publish(f"{base}/gone/frame", jpeg, qos=0)
        c.wait_payload(f"{base}/gone/detections")
        configs = c.wait_for(lambda: discovery_of(c, "gone"), 10, "discovery")
        assert len(configs) >= 8
        c.publish(f"{base}/gone/availability", b"offline", retain=True)
        emptied = c.wait_for(
            lambda: (
                {m.topic for m in c.messages if m.payload == b"" and "/bobby_gone/" in m.topic}
                >= set(configs)
            ),
            15,
            "every discovery config emptied",
        )
        assert emptied
    c.close()


def test_the_allow_list_serves_only_the_cameras_it_names(mosquitto, model_path, media_dir):
    base = f"alw{uuid.uuid4().hex[:6]}"
    c = Collector(mosquitto, [f"{base}/#", f"{prefix_for(base)}/#"])
    jpeg = still_jpeg(media_dir / PERSON_STILLS[0])
    with listen_frame(
        mosquitto,
        model_path,
        base,
        "a",
        "--discovery-prefix",
        prefix_for(base),
        "--workers",
        "1",
        "--allow-camera",
        "mine",
    ):
        c.wait_payload(f"{base}/listen_frame/a/availability", b"online", timeout=60)
        c.publish(f"{base}/mine/frame", jpeg, qos=0)  # no announce needed
        c.wait_payload(f"{base}/mine/detections")
        c.announce(f"{base}/other")  # announced, but not on the list
        c.publish(f"{base}/other/frame", jpeg, qos=0)
        time.sleep(1.5)
        assert c.payloads(f"{base}/other/detections") == [] and discovery_of(c, "other") == []
    c.close()
