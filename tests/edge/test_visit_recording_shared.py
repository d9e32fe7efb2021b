"""Recording with several listen_frame instances (docs/listen_frame.md, Recording): two real
instances in one share group, a real Mosquitto, the real model and opencv_vtest.avi's frames.
Each instance gets half of a camera's frames; the owner also takes them all for the clip."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.conftest import NO_PERSON_STILLS
from tests.edge.test_visit_recording import CLEAR_AFTER, FPS, probe, wait_event
from tests.support.feeder import Feeder
from tests.support.frames import still_jpeg, video_jpegs
from tests.support.mqtt import Collector
from tests.support.procs import listen_frame


@pytest.fixture(scope="module")
def frames(media_dir):
    return {
        "people": list(video_jpegs(str(media_dir / "opencv_vtest.avi"), 40, step=5)),
        "empty": still_jpeg(media_dir / NO_PERSON_STILLS[0]),
    }


def test_with_a_share_group_the_owner_records_every_frame(mosquitto, model_path, frames, tmp_path) -> None:
    """Two instances share the frames (MQTT v5 shared subscription); the camera's owner also takes
    them directly for the clip, which then has the camera's rate, not half of it."""
    base = f"rsh{uuid.uuid4().hex[:6]}"
    t = f"{base}/yard"
    client = Collector(mosquitto, [f"{base}/#"], announce_cameras=True)
    detection = {"frames_needed": 2, "frames_window": 3, "clear_after": CLEAR_AFTER, "motion": False}
    client.publish(f"{t}/rois", json.dumps({"version": 1, "rois": [], "detection": detection}), retain=True)
    cmds = [
        listen_frame(
            mosquitto,
            model_path,
            base,
            name,
            "--workers",
            "1",
            "--share-group",
            "g",
            "--record-dir",
            str(tmp_path / name),
            "--record-min-free-mb",
            "0",
        )
        for name in ("a", "b")
    ]
    feeder = Feeder.publishing(client, f"{t}/frame", frames["empty"], FPS)
    try:
        for name in ("a", "b"):
            client.wait_payload(f"{base}/listen_frame/{name}/availability", b"online", timeout=60)
        client.wait_for(lambda: client.last(f"{t}/person") == b"OFF", 30, "the person state OFF")
        # Both instances see each other (awaited: a busy machine may take longer than the sleep) ...
        client.wait_json(f"{t}/stats", lambda s: len(s["services"]) == 2, timeout=60)
        time.sleep(4.0)  # ... and the owner subscribed to the camera itself
        shown = feeder.show(frames["people"])
        start = wait_event(client, f"{t}/event", "start")
        time.sleep(6.0)
        left = feeder.show(frames["empty"])
        end = wait_event(client, f"{t}/event", "end", start["id"], timeout=30)
        assert end["clip"] == "ready"
        (clip,) = list(tmp_path.glob(f"*/yard/{start['id']}.mp4"))
        _, decoded, span = probe(clip)
        # Every frame the camera sent while the clip was open, not one in two.
        assert decoded >= 0.8 * FPS * span, (decoded, span, left - shown)
    finally:
        feeder.close()
        for cmd in cmds:
            cmd.stop()
        client.close()
