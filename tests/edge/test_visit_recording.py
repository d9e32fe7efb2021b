"""A dumb camera's visit recorded by the real listen_frame (real Mosquitto, the real model, real
frames of ../shared/media/opencv_vtest.avi): `bobby/<cam>/event` start, update and end per
docs/mqtt.md; the clip is an H.264 MP4 that PyAV decodes, as long as the visit plus the pre- and
post-roll, beside its two snapshots; then an instance killed with SIGKILL mid-visit leaves a
`.part` that the next start closes (playable) and whose `end` it publishes; that next run, on a
"full disk" (a real file-size limit), fails its clip and goes on detecting; stopped with SIGTERM
mid-visit, it publishes the visit's end first."""

from __future__ import annotations

import json
import re
import resource
import signal
import time
import uuid
from pathlib import Path

import av
import pytest

from tests.conftest import NO_PERSON_STILLS
from tests.support.feeder import Feeder
from tests.support.frames import still_jpeg, video_jpegs
from tests.support.mqtt import Collector
from tests.support.procs import listen_frame, signal_other_thread

FPS = 4.0
PRE_ROLL = 2.0
POST_ROLL = 2.0
CLEAR_AFTER = 1.5
FULL_AT = 120_000  # bytes: the file-size limit of the run on a "full disk"
ID_RE = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def frames(media_dir):
    video = video_jpegs(str(media_dir / "opencv_vtest.avi"), 40, step=5)
    return {"people": list(video), "few": video[6], "empty": still_jpeg(media_dir / NO_PERSON_STILLS[0])}


def events(client: Collector, topic: str) -> list[dict]:
    return [json.loads(p) for p in client.payloads(topic)]


def wait_event(
    client: Collector, topic: str, kind: str, visit_id: str | None = None, timeout: float = 30.0
) -> dict:
    def found():
        return next(
            (e for e in events(client, topic) if e["type"] == kind and visit_id in (None, e["id"])), None
        )

    client.wait_for(found, timeout, f"an event {kind!r} on {topic}")
    return found()


def probe(path: Path) -> tuple[str, int, float]:
    """(codec, decoded frames, seconds from the first frame's time to the last's)."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        times = [float(f.time) for f in c.decode(stream) if f.time is not None]
        return stream.codec_context.name, len(times), max(times) - min(times)


def test_a_visit_is_recorded_and_a_killed_instance_leaves_a_playable_clip(
    mosquitto, model_path, frames, tmp_path
) -> None:
    base = f"rec{uuid.uuid4().hex[:6]}"
    cam = "yard"
    t = f"{base}/{cam}"
    media = tmp_path / "media"
    config = tmp_path / "listen_frame.yaml"
    config.write_text(
        "recording:\n"
        "  enabled: true\n"
        f"  directory: {media}\n"
        f"  pre_roll: {PRE_ROLL}\n"
        f"  post_roll: {POST_ROLL}\n"
        "  max_clip_seconds: 60\n"
        "  min_free_mb: 1\n"
    )
    client = Collector(mosquitto, [f"{base}/#"], announce_cameras=True)
    detection = {"frames_needed": 2, "frames_window": 3, "clear_after": CLEAR_AFTER, "motion": False}
    client.publish(f"{t}/rois", json.dumps({"version": 1, "rois": [], "detection": detection}), retain=True)
    args = (mosquitto, model_path, base, "rec", "--workers", "1", "--config", str(config))
    cmd = listen_frame(*args)
    feeder = Feeder.publishing(client, f"{t}/frame", frames["empty"], FPS)
    try:
        client.wait_payload(f"{base}/listen_frame/rec/availability", b"online", timeout=60)
        client.wait_for(lambda: client.last(f"{t}/person") == b"OFF", 30, "the person state OFF")
        time.sleep(PRE_ROLL + 0.5)  # a full pre-roll of empty frames in the ring

        # One visit: a few people (a lower best score), then a crowd (a better snapshot: an update).
        shown = feeder.show(frames["few"])
        start = wait_event(client, f"{t}/event", "start")
        assert ID_RE.fullmatch(start["id"]) and start["camera"] == cam and start["clip"] == "recording"
        assert start["end"] is None and start["duration"] is None and start["store"] == "media"
        assert start["service"] == "listen_frame/rec" and start["snapshot"] is True
        assert not any(m.retain for m in client.on(f"{t}/event"))
        files = media / cam
        assert (files / f"{start['id']}.jpg").is_file() and (files / f"{start['id']}-clean.jpg").is_file()
        part = files / f"{start['id']}.mp4.part"
        client.wait_for(part.is_file, 10, "the clip being written")  # by the camera's thread
        time.sleep(4.0)
        feeder.show(frames["people"])
        update = wait_event(client, f"{t}/event", "update", start["id"], timeout=20)
        assert update["score"] > start["score"] and update["max_persons"] >= start["max_persons"]
        assert update["at"] - start["at"] >= 4.9  # at most one update every 5 s
        time.sleep(2.0)
        left = feeder.show(frames["empty"])
        end = wait_event(client, f"{t}/event", "end", start["id"], timeout=30)
        visit = end["end"] - end["start"]
        assert end["clip"] == "ready" and end["snapshot"] is True and end["regions"] == []
        assert 6.0 <= visit <= (left - shown) + CLEAR_AFTER + 8.0
        clip = files / f"{start['id']}.mp4"
        assert clip.is_file() and not (files / f"{start['id']}.mp4.part").exists()
        codec, decoded, span = probe(clip)
        assert codec == "h264" and decoded >= FPS * visit * 0.5
        expected = visit + PRE_ROLL + POST_ROLL
        assert abs(end["duration"] - expected) <= 2.5, (end["duration"], expected)
        assert abs(span - end["duration"]) <= 1.0, (span, end["duration"])
        kinds = [e["type"] for e in events(client, f"{t}/event") if e["id"] == start["id"]]
        assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("end") == 1

        # Killed mid-visit: the next start closes what the .part holds and publishes its end.
        feeder.show(frames["people"])
        starts = lambda: [e for e in events(client, f"{t}/event") if e["type"] == "start"]  # noqa: E731
        client.wait_for(lambda: len(starts()) == 2, 30, "a second visit")
        second = starts()[1]
        part = files / f"{second['id']}.mp4.part"
        client.wait_for(lambda: part.is_file() and part.stat().st_size > 20_000, 20, "some fragments written")
        time.sleep(2.0)
        cmd.proc.kill()
        cmd.proc.wait(10)
        assert part.is_file()
        # Restarted on a "full disk": a real file-size limit (RLIMIT_FSIZE, inherited; Python
        # ignores SIGXFSZ, so a write past it fails with EFBIG) that a clip soon reaches.
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (FULL_AT, limit[1]))
        try:
            cmd = listen_frame(*args)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, limit)
        recovered = wait_event(client, f"{t}/event", "end", second["id"], timeout=60)
        assert recovered["clip"] == "ready" and recovered["duration"] > 1.0
        # The fields the visit had at its last message, kept beside the clip (.<id>.visit.json).
        assert recovered["start"] == second["start"] and recovered["max_persons"] >= 1
        assert recovered["score"] >= second["score"] > 0 and recovered["snapshot"] is True
        assert not (files / f".{second['id']}.visit.json").exists()
        assert not part.exists()
        codec, decoded, _ = probe(files / f"{second['id']}.mp4")
        assert codec == "h264" and decoded >= 4

        # The person is still there: a new owner's (this run's) visit, whose clip fills the disk.
        client.wait_for(lambda: len(starts()) == 3, 60, "the restarted instance's visit")
        third = starts()[2]
        failed = wait_event(client, f"{t}/event", "update", third["id"], timeout=30)
        assert failed["clip"] == "failed" and failed["duration"] is None
        analysed = client.count(f"{t}/detections")
        client.wait_for(lambda: client.count(f"{t}/detections") >= analysed + 8, 30, "detection going on")
        feeder.show(frames["empty"])
        end3 = wait_event(client, f"{t}/event", "end", third["id"], timeout=30)
        assert end3["clip"] == "failed"
        client.wait_for(
            lambda: (
                json.loads(client.last(f"{base}/listen_frame/rec/stats"))["recording"]["clip_errors"] >= 1
            ),
            15,
            "the failed clip counted in the stats",
        )
        recording = json.loads(client.last(f"{base}/listen_frame/rec/stats"))["recording"]
        assert recording["write_errors"] >= 1 and recording["clips_recovered"] == 1

        # Stopped (SIGTERM) mid-visit: the visit's end goes out before the service goes offline.
        # The signal goes to a thread other than the main one, as the kernel may deliver it (an
        # untimed wait in the main thread then never ran the handler: killed after 15 s).
        feeder.show(frames["people"])
        client.wait_for(lambda: len(starts()) == 4, 30, "a fourth visit")
        fourth = starts()[3]
        signal_other_thread(cmd.pid, signal.SIGTERM)
        assert cmd.wait(60) == 0, cmd.output()[-3000:]
        end4 = wait_event(client, f"{t}/event", "end", fourth["id"], timeout=10)
        assert end4["clip"] in ("ready", "failed") and end4["end"] is not None
        assert not list(files.glob("*.part"))
    finally:
        feeder.close()
        cmd.stop()
        client.close()
