"""The smart camera's visits end to end (docs/mqtt.md, "events"): the real camera process on
vtest's people, real Mosquitto and model. A visit is published (start, then end once its clip is
closed), its snapshots and clip are served over HTTP with the token and Range requests, and the
clip plays (PyAV); a camera killed with SIGKILL mid-visit (detector and MQTT process alike)
leaves a `.part` that the next start closes, publishes (`end`, clip ready) and serves.

One test, two camera starts: the logic itself is tested in-process (test_smart_visits.py,
test_recording_visits.py, test_http_events.py)."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import time
import urllib.error
import urllib.request
import uuid

import av

from edge_agent.events.visit import valid_event_id
from tests.support.mosquitto import free_port
from tests.support.mqtt import Collector
from tests.support.procs import smart_camera

TOKEN = "visit-token"


def js(m):
    return json.loads(m.payload)


def fetch(url: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as err:
        return err.code, err.read(), {k.lower(): v for k, v in err.headers.items()}


def decode(data: bytes) -> list:
    with av.open(io.BytesIO(data)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def start_camera(mosquitto, tmp_path, base, port, media_dir, model_path, name):
    config = tmp_path / "camera.yaml"
    config.write_text(
        "\n".join(
            [
                "record: true",
                f"record_dir: {tmp_path / 'rec'}",
                "continuous: false",
                "pre_roll: 1",
                "post_roll: 1",
                f"http_port: {port}",
                f"http_token: {TOKEN}",
            ]
        )
    )
    extra = ["--config", str(config), "--fps", "4", "--width", "384", "--height", "288"]
    return smart_camera(
        mosquitto, tmp_path, base, "hall", media_dir / "opencv_vtest.avi", model_path, extra, name
    )


def test_a_visit_is_published_served_and_survives_a_sigkill(mosquitto, tmp_path, media_dir, model_path):
    base = f"v{uuid.uuid4().hex[:8]}"
    t = f"{base}/hall"
    port = free_port()
    url = f"http://127.0.0.1:{port}/events"
    rec = Collector(mosquitto, [f"{t}/#"])
    camera = start_camera(mosquitto, tmp_path, base, port, media_dir, model_path, "first")
    try:
        # vtest has people from its first frames: a visit starts.
        start = js(rec.wait_topic(f"{t}/event", where=lambda m: js(m)["type"] == "start", timeout=60))
        vid = start["id"]
        assert valid_event_id(vid) and start["camera"] == "hall" and start["store"] == "camera"
        assert start["clip"] == "recording" and start["end"] is None and start["service"] == "camera/hall"
        assert start["max_persons"] >= 1
        # The snapshot is on disk before a message says so (at the start, or in an update).
        snap = js(rec.wait_topic(f"{t}/event", where=lambda m: js(m)["snapshot"], timeout=30))
        assert snap["id"] == vid and 0.3 < snap["score"] <= 1.0
        for name in (f"{vid}.jpg", f"{vid}-clean.jpg"):
            status, body, h = fetch(f"{url}/{name}")
            assert status == 200 and h["content-type"] == "image/jpeg" and body[:2] == b"\xff\xd8", name
        assert fetch(f"{url}/{vid}.jpg", {"Authorization": "Bearer wrong"})[0] == 401
        # Still being written (also before its first frame reaches the disk).
        status, body, h = fetch(f"{url}/{vid}.mp4")
        assert status == 409 and h["retry-after"] == "5" and b"still being written" in body, (status, body)

        # Detection off: the person state goes OFF, the visit ends after the 1 s post-roll.
        time.sleep(2.0)  # a couple of seconds of clip
        off = time.monotonic()
        rec.publish(f"{t}/detection/set", b"OFF")
        end = js(rec.wait_topic(f"{t}/event", where=lambda m: js(m)["type"] == "end", timeout=30))
        ended = time.monotonic()
        assert end["id"] == vid and end["clip"] == "ready" and end["snapshot"] is True
        assert end["end"] >= end["start"] and end["duration"] >= 2.0
        # Its clip over HTTP, in two Range requests as a player asks, then played.
        status, _, h = fetch(f"{url}/{vid}.mp4", {"Range": "bytes=0-99"})
        assert status == 206 and h["content-type"] == "video/mp4"
        size = int(h["content-range"].rpartition("/")[2])
        status, head, _ = fetch(f"{url}/{vid}.mp4", {"Range": f"bytes=0-{size // 2 - 1}"})
        status2, tail, h2 = fetch(f"{url}/{vid}.mp4", {"Range": f"bytes={size // 2}-"})
        assert (status, status2) == (206, 206)
        assert h2["content-range"] == f"bytes {size // 2}-{size - 1}/{size}"
        frames = decode(head + tail)
        assert frames[0].shape == (288, 384, 3)
        assert abs(len(frames) / 4 - end["duration"]) <= 1.0, (len(frames), end["duration"])
        print(
            f"\nsmart camera visit: end published {ended - off:.1f} s after detection went off (post-roll 1 s)"
        )

        # A second visit, then the whole camera killed mid-visit (the detector process first).
        rec.publish(f"{t}/detection/set", b"ON")
        second = js(
            rec.wait_topic(
                f"{t}/event", where=lambda m: js(m)["type"] == "start" and js(m)["id"] != vid, timeout=60
            )
        )
        vid2 = second["id"]
        part = tmp_path / "rec" / "hall" / f"{vid2}.mp4.part"
        rec.wait_for(lambda: part.exists() and part.stat().st_size > 20_000, 30, "some of the clip on disk")
        child = int(re.findall(r"detector process started \(pid (\d+)\)", camera.log)[-1])
        os.kill(child, signal.SIGKILL)
        camera.proc.send_signal(signal.SIGKILL)
        camera.proc.wait(10)
        camera.kill()
        assert part.exists() and not part.with_name(f"{vid2}.mp4").exists()
        assert [js(m)["type"] for m in rec.on(f"{t}/event") if js(m)["id"] == vid2][-1] != "end"

        restarted = time.monotonic()
        camera = start_camera(mosquitto, tmp_path, base, port, media_dir, model_path, "second")
        end2 = js(
            rec.wait_topic(
                f"{t}/event",
                where=lambda m: js(m)["type"] == "end" and js(m)["id"] == vid2,
                after=restarted,
                timeout=60,
            )
        )
        assert end2["clip"] == "ready" and end2["duration"] > 0 and end2["store"] == "camera"
        assert end2["start"] == second["start"] and end2["max_persons"] >= 1  # kept from the killed run
        assert not part.exists()
        status, data, _ = fetch(f"{url}/{vid2}.mp4")
        assert status == 200 and len(decode(data)) >= 2
        assert "was left unfinished" in camera.log
    finally:
        camera.kill()
        rec.close()
