"""A 16:9 camera stays 16:9 through the whole chain (issue 22), with real processes: a dumb camera
(`bobby-edge camera`) streaming a 1280x720 video made from vtest, a real Mosquitto, listen_frame
with the real model. One walk: the announce, the frames, the detections' size, the snapshot, and
the boxes on the people (against the people found on vtest's own 4:3 frames, moved into the
crop). The in-process tests of the rule and of each source: test_frame_size.py."""

from __future__ import annotations

import json
import uuid

import cv2
import numpy as np

from edge_agent.detect.detector import Detector
from edge_agent.detect.imaging import resize
from tests.support.mqtt import Collector
from tests.support.procs import CameraProcess, listen_frame
from tests.support.wide_video import iou, to_wide, wide_frames, write_wide_video

FRAMES = 60


def _decode(jpeg: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def _with_people(client: Collector, topic: str, count: int) -> list[dict] | None:
    found = [d for d in map(json.loads, client.payloads(topic)) if d["persons"] >= 1]
    return found[:count] if len(found) >= count else None


def test_a_16_9_dumb_camera_stays_16_9_through_listen_frame(mosquitto, model_path, media_dir, tmp_path):
    video = write_wide_video(media_dir, tmp_path, (1280, 720), count=FRAMES)
    base = f"w{uuid.uuid4().hex[:8]}"
    t = f"{base}/wide"
    client = Collector(mosquitto, [f"{base}/#"])
    service = listen_frame(mosquitto, model_path, base, "wide", "--workers", "1")
    camera = None
    try:
        client.wait_payload(f"{base}/listen_frame/wide/availability", b"online", timeout=90)
        # No --width / --height: the source's aspect, 640 on the long side.
        args = ["--mode", "dumb", "--source", str(video), "--camera-id", "wide", "--broker", mosquitto.url]
        args += ["--base-topic", base, "--state-wait", "0.5", "--fps", "4"]
        camera = CameraProcess(args, tmp_path / "camera.log")

        announce = client.wait_json(f"{t}/announce", timeout=30)
        assert announce["resolution"] == [640, 360], announce
        client.wait_payload(f"{t}/person", b"ON", timeout=60)
        with_people = client.wait_for(
            lambda: _with_people(client, f"{t}/detections", 6), timeout=60, what="6 detections with people"
        )
        snapshot = client.wait_for(lambda: client.last(f"{t}/snapshot"), timeout=30, what="a snapshot")
        frames = client.on(f"{t}/frame")
    finally:
        if camera is not None:
            camera.kill()
        service.stop()
        client.close()

    assert frames and all(_decode(m.payload).shape == (360, 640, 3) for m in frames[:10])
    assert all(d["size"] == [640, 360] for d in with_people)
    assert _decode(snapshot).shape == (360, 640, 3)

    # The boxes land on the people: each detections message is matched to the frame it analysed
    # (captured_at), that frame to the vtest frame it was made from, and the people the model
    # finds on vtest's whole 4:3 frame, moved into the 16:9 crop, to the boxes listen_frame sent.
    by_time = {round(float(m.properties["captured_at"]), 3): m.payload for m in frames}
    wide = [cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA) for f in wide_frames(media_dir, FRAMES)]
    detector = Detector(model_path, min_score=0.5)
    cap = cv2.VideoCapture(str(media_dir / "opencv_vtest.avi"))
    matched = total = 0
    try:
        for d in with_people:
            jpeg = by_time.get(round(d["captured_at"], 3))
            assert jpeg is not None, f"no frame captured at {d['captured_at']}"
            img = _decode(jpeg).astype(np.int16)
            index = int(np.argmin([np.abs(img - w).mean() for w in wide]))
            assert np.abs(img - wide[index]).mean() < 8.0, "the frame is not one of the video's"
            cap.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, bgr = cap.read()
            assert ok
            whole = detector.detect(resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), detector.input_size))
            refs = [to_wide(o.box) for o in whole if o.label == "person" and o.score >= 0.6]
            refs = [r for r in refs if r is not None and r[1] > 0.02 and r[3] < 0.98]
            boxes = [o["box"] for o in d["objects"] if o["label"] == "person"]
            for ref in refs:
                total += 1
                matched += max((iou(ref, b) for b in boxes), default=0.0) >= 0.5
    finally:
        cap.release()
    assert total >= 4, total
    assert matched >= 0.7 * total, (matched, total)
