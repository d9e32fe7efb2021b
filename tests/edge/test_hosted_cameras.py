"""IP cameras in the add-on (issue 22): RTSP, MJPEG and snapshot sources, the `cameras` option,
supervision and secrets (edge_agent/camera/hosted.py, camera/sources/network.py).

Real streams: GStreamer's RTSP server (tests/support/rtsp_server.py) and a Python HTTP camera
(tests/support/http_camera.py) playing the shared media, with the logins real cameras ask for.
The sources are tested in-process (seconds); one walk runs `bobby-edge addon` with a fake
Supervisor and a real Mosquitto: person ON through listen_frame for an RTSP and a snapshot
camera, a wrong password, a stream that drops and comes back, no password in `ps` or the log.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from edge_agent.camera.hosted import CAMERA_ENTRY, HostedCamera, SecretsFilter
from edge_agent.camera.sources.base import SourceError
from edge_agent.camera.sources.network import HttpSource, RtspSource
from edge_agent.camera.sources.spec import make_source, open_source
from edge_agent.deploy import addon
from edge_agent.mqtt.broker import redact_url
from tests.support.http_camera import HttpCamera
from tests.support.mqtt import Collector
from tests.support.rtsp_server import RtspServer, available
from tests.support.supervisor import TOKEN, FakeSupervisor, mqtt_ok

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Zq8:p@ss/w%rd"  # needs percent-encoding in a URL: the hard case for redaction


@pytest.fixture(scope="module")
def rtsp_ready():
    missing = available()
    assert missing is None, missing  # CI installs it (scripts/setup.sh edge)


# --- redaction and options (in-process) -------------------------------------------------------------


def test_one_redaction_hides_url_logins_and_secret_query_values():
    assert (
        redact_url("rtsp://admin:Zq8%3Ap%40ss@10.0.0.5:554/stream2")
        == "rtsp://admin:***@10.0.0.5:554/stream2"
    )
    # An unencoded @ or / in the password: hidden whole (to the URL's last @).
    assert redact_url("rtsp://admin:p@ss/w@cam/live and more") == "rtsp://admin:***@cam/live and more"
    assert (
        redact_url("http://cam/cgi-bin/api.cgi?cmd=Snap&user=admin&password=xyz&channel=0")
        == "http://cam/cgi-bin/api.cgi?cmd=Snap&user=admin&password=***&channel=0"
    )
    assert redact_url("http://cam/snap.jpg?TOKEN=abc") == "http://cam/snap.jpg?TOKEN=***"
    assert redact_url("rtsp://cam:554/live") == "rtsp://cam:554/live"
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "failed: %s (%s)", ("rtsp://u:pw@h/x", "s3cr3tpw"), None
    )
    SecretsFilter({"s3cr3tpw"}).filter(record)
    assert record.getMessage() == "failed: rtsp://u:***@h/x (***)"


def test_the_cameras_option_parsed_shown_redacted_and_passed_in_a_private_file(tmp_path):
    source = "rtsp://admin:Zq8%3Ap%40ss@10.0.0.5/stream2"
    options = addon.parse_options(
        {"cameras": [{"id": "door", "name": "Front door", "source": source, "fps": 3, "width": 0}]}
    )
    (cam,) = options.cameras
    assert cam == HostedCamera(id="door", name="Front door", source=source, fps=3.0)
    assert "Zq8" not in repr(options) and cam.secrets() == {"Zq8%3Ap%40ss", "Zq8:p@ss"}
    broker = addon.SupervisorBroker("core-mosquitto", 1883)
    path = addon.write_cameras_file(options.cameras, str(tmp_path))
    argv = addon.build_command(options, broker, model="/m.tflite", cameras_file=path)
    assert argv[-2:] == ["--config", path] and not any("Zq8" in a for a in argv)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert yaml.safe_load(Path(path).read_text())["cameras"][0]["source"] == source
    shown = json.dumps(addon.describe(options, broker, argv))
    assert "Zq8" not in shown and "rtsp://admin:***@10.0.0.5/stream2" in shown
    # What listen_frame reads back from that file: the same camera.
    from edge_agent.listen_frame.cli import SCHEMA

    assert (
        SCHEMA({"cameras": yaml.safe_load(Path(path).read_text())["cameras"]})["cameras"][0]["source"]
        == source
    )


def test_config_check_shows_a_cameras_source_without_its_password(tmp_path, capsys):
    from edge_agent import cli

    path = tmp_path / "camera.yaml"
    path.write_text(
        f"camera_id: door\nsource: rtsp://admin:{PASSWORD.replace('@', '%40')}@10.0.0.5/stream2\n"
    )
    assert cli.main(["config", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "rtsp://admin:***@10.0.0.5/stream2" in out and "Zq8" not in out


def test_a_password_in_camera_source_on_the_command_line_is_warned_about_and_never_logged():
    # `bobby-edge camera --source rtsp://user:pw@…`: ps shows it, so the command says so (and
    # where to put it instead); its own messages show the URL redacted.
    source = "rtsp://admin:Zq8%3Ap%40ss@127.0.0.1:9/stream2"  # port 9: nothing listens
    proc = subprocess.run(
        [sys.executable, "-m", "edge_agent", "camera", "--source", source, "--camera-id", "t1",
         "--broker", "mqtt://127.0.0.1:9"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "the camera's password is on the command line (--source)" in proc.stderr
    assert "connection refused" in proc.stderr and "rtsp://admin:***@127.0.0.1:9/stream2" in proc.stderr
    assert "Zq8" not in proc.stderr + proc.stdout


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "a b", "source": "rtsp://h/x"}, "a-z A-Z 0-9"),
        ({"id": "a"}, "required key not provided"),
        ({"id": "a", "source": "rtsp://h/x", "fps": 0}, "from 0.1 to 30"),
        ({"id": "a", "source": "rtsp://h/x", "width": 8}, "from 16 to 4096"),
    ],
)
def test_a_bad_camera_entry_names_the_key(entry, message):
    with pytest.raises(addon.AddonError, match=message) as err:
        addon.parse_options({"cameras": [entry]})
    assert "cameras.0." in str(err.value)
    with pytest.raises(addon.AddonError, match="used twice"):
        addon.parse_options({"cameras": [{"id": "a", "source": "x"}, {"id": "a", "source": "y"}]})
    assert CAMERA_ENTRY({"id": "a", "source": " rtsp://h/x "})["source"] == "rtsp://h/x"


# --- HTTP sources against a real HTTP camera ------------------------------------------------------------


@pytest.mark.parametrize("auth", ["basic", "digest"])
def test_snapshot_and_mjpeg_urls_told_apart_by_content_type_with_the_cameras_login(media_dir, auth):
    with HttpCamera(
        media_dir / "opencv_vtest.avi", size=(640, 360), user="admin", password=PASSWORD, auth=auth
    ) as cam:
        with open_source(cam.snapshot_url(), None, 5, jpeg=True) as src:
            assert isinstance(src, HttpSource) and src.mode == "snapshot" and src.platform == "snapshot"
            t0 = time.monotonic()
            jpegs = [src.read_jpeg() for _ in range(5)]
            elapsed = time.monotonic() - t0
        # Paced at the rate asked (one request per frame), and the camera's own JPEGs, untouched:
        # the frames' size is the camera's (640x360 keeps its 16:9).
        assert 0.6 <= elapsed < 4.0, elapsed
        assert all(j in cam.jpegs for j in jpegs) and src.size == (640, 360) and src.reencoded == 0
        assert cam.requests["snapshot"] == 5
        with open_source(cam.mjpeg_url(), (320, None), 5, jpeg=True) as src:
            assert src.mode == "mjpeg" and src.size == (320, 180)
            jpegs = [src.read_jpeg() for _ in range(4)]
            frames = src.read()
        assert cam.requests["mjpeg"] == 1  # one connection, read as it streams
        # Not the frames' size: decoded (scaled while decoding), encoded once at 320x180.
        from edge_agent.detect.imaging import jpeg_dimensions

        assert {jpeg_dimensions(j) for j in jpegs} == {(320, 180)} and src.reencoded == 4
        assert frames.shape == (180, 320, 3)


def test_mjpeg_parts_with_or_without_content_length_and_bounded():
    import io

    from edge_agent.camera.sources import network

    jpeg = b"\xff\xd8" + b"\x00\r\n--not-a-boundary\r\n" * 3 + b"\xff\xd9"
    # Quoted boundary given without its dashes; one part without Content-Length (its JPEG ends at
    # its EOI marker), one with; blank lines between parts, as some cameras send.
    body = (
        b"\r\n--myboundary\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg + b"\r\n"
        b"--myboundary\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg) + jpeg + b"\r\n"
    )
    reader = network.MjpegReader(io.BytesIO(body), 'multipart/x-mixed-replace; boundary="myboundary"')
    assert reader.next_jpeg() == jpeg and reader.next_jpeg() == jpeg
    with pytest.raises(EOFError):
        reader.next_jpeg()
    huge = b"--b\r\nContent-Length: %d\r\n\r\n" % (network.MAX_JPEG + 1)
    with pytest.raises(ValueError, match="more than"):
        network.MjpegReader(io.BytesIO(huge), "multipart/x-mixed-replace;boundary=b").next_jpeg()
    headers = b"--b\r\n" + b"X-Junk: 1\r\n" * 40
    with pytest.raises(ValueError, match="too many header lines"):
        network.MjpegReader(io.BytesIO(headers), "multipart/x-mixed-replace;boundary=b").next_jpeg()
    with pytest.raises(ValueError, match="without a boundary"):
        network.MjpegReader(io.BytesIO(b""), "multipart/x-mixed-replace")


def test_http_errors_say_what_is_wrong_without_the_password(media_dir):
    with HttpCamera(
        media_dir / "opencv_vtest.avi", frames=5, user="admin", password=PASSWORD, auth="digest"
    ) as cam:
        for url, expected in (
            (cam.snapshot_url(password="wrong-pw"), "refused the login \\(HTTP 401\\)"),
            (cam.mjpeg_url(password="wrong-pw"), "refused the login \\(HTTP 401\\)"),
            (cam.snapshot_url().replace("snapshot.jpg", "page.html"), "Content-Type 'text/html'"),
            (cam.snapshot_url().replace("snapshot.jpg", "nothing"), "HTTP 404"),
        ):
            with pytest.raises(SourceError, match=expected) as err:
                open_source(url, None, 2, jpeg=True)
            assert "wrong-pw" not in str(err.value) and "Zq8" not in str(err.value)
            assert "admin:***@127.0.0.1" in str(err.value)


def test_a_snapshot_camera_that_stops_answering_is_given_up_after_the_stall_timeout(media_dir):
    cam = HttpCamera(media_dir / "opencv_vtest.avi", frames=5).start()
    src = make_source(cam.snapshot_url(), None, 10, jpeg=True, give_up_after=2.0).open()
    try:
        assert src.read_jpeg() is not None
        cam.close()
        t0 = time.monotonic()
        with pytest.raises(SourceError, match="no frame for"):
            while time.monotonic() - t0 < 20:
                src.read_jpeg()
        assert time.monotonic() - t0 >= 2.0
    finally:
        src.close()


# --- RTSP against GStreamer's server ----------------------------------------------------------------


def test_rtsp_is_read_live_at_the_rate_asked_and_converts_only_those_frames(media_dir, rtsp_ready, tmp_path):
    with RtspServer(
        media=media_dir / "opencv_vtest.avi", width=640, height=360, fps=10, user="admin", password=PASSWORD,
        log=tmp_path / "rtsp.log",
    ) as server:  # fmt: skip
        with pytest.raises(SourceError, match="refused the login \\(401") as err:
            open_source(server.url(password="wrong-pw"), None, 2)
        assert "wrong-pw" not in str(err.value)
        with open_source(server.url(), None, 4) as src:
            assert isinstance(src, RtspSource) and src.native == (640, 360) and src.size == (640, 360)
            t0 = time.monotonic()
            frames = [src.read() for _ in range(12)]
            elapsed = time.monotonic() - t0
            stats = src.stats()
    assert all(f is not None and f.shape == (360, 640, 3) for f in frames)
    assert 2.0 <= elapsed < 8.0, elapsed  # 12 frames at 4 fps
    # Every frame of the 10 fps stream is decoded (H.264 needs them), only those asked are
    # converted; the rest are counted as skipped, never queued (no stale frame).
    assert stats["decoded"] > stats["frames"] and stats["skipped"] > 0, stats


def test_the_cpu_benchmark_measures_a_camera(media_dir, rtsp_ready, tmp_path, capsys):
    # tools/ipcam_bench.py (docs/performance.md, "IP cameras") on a real stream, shortest run.
    from edge_agent.tools import ipcam_bench

    with RtspServer(media=media_dir / "opencv_vtest.avi", fps=10, log=tmp_path / "rtsp.log") as server:
        assert (
            ipcam_bench.main(["--url", server.url(), "--seconds", "1", "--fps", "2", "--backends", "pyav"])
            == 0
        )
    row = [line for line in capsys.readouterr().out.splitlines() if line.startswith("camera")]
    assert len(row) == 1 and "pyav" in row[0] and "(frames 640x360)" in row[0], row
    cpu = float(row[0].split("%")[0].split()[-1])
    assert 0 < cpu < 200


# --- the add-on with its cameras, end to end --------------------------------------------------------


def _cmdlines(root_pid: int) -> list[str]:
    """The command lines of a process and all its descendants, as `ps` shows them."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        try:
            out.append(
                Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            )
        except OSError:
            continue
        todo += children.get(pid, [])
    return out


def test_the_addon_runs_ip_cameras_beside_listen_frame(
    tmp_path, mosquitto, model_path, media_dir, rtsp_ready
):
    base = f"hosted{os.getpid()}"
    rtsp = RtspServer(
        media=media_dir / "opencv_vtest.avi", width=640, height=360, fps=10, user="admin", password=PASSWORD,
        log=tmp_path / "rtsp.log",
    ).start()  # fmt: skip
    snap = HttpCamera(
        media_dir / "opencv_vtest.avi", size=(640, 480), user="viewer", password=PASSWORD
    ).start()
    stats_topic = f"{base}/listen_frame/{addon.INSTANCE}/stats"  # where the cameras' state goes
    watch = Collector(
        mosquitto,
        [
            f"{base}/+/person",
            f"{base}/+/availability",
            f"{base}/+/announce",
            f"{base}/+/detections",
            stats_topic,
        ],
    )
    cameras = [
        {"id": "driveway", "name": "Driveway", "source": rtsp.url(), "fps": 3, "stall_timeout": 4},
        {"id": "porch", "source": snap.snapshot_url(), "fps": 3},
        {"id": "garage", "source": rtsp.url(password="not-the-password"), "fps": 2},
    ]
    options = tmp_path / "options.json"
    options.write_text(
        json.dumps({"base_topic": base, "workers": 1, "stats_interval": 2, "cameras": cameras})
    )
    env = {**os.environ, "SUPERVISOR_TOKEN": TOKEN, "BOBBY_MODEL": str(model_path)}
    env.pop("BOBBY_BROKER", None)
    proc = None
    try:
        service = mqtt_ok(host=mosquitto.host, port=mosquitto.port, ssl=False, protocol="3.1.1")
        with FakeSupervisor(body=service) as sup:
            proc = subprocess.Popen(
                [sys.executable, "-m", "edge_agent", "addon", "--options", str(options), "--supervisor-url", sup.url],
                env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            for cam in ("driveway", "porch"):
                watch.wait_payload(f"{base}/{cam}/availability", b"online", timeout=60)
            # Person ON through listen_frame for both (vtest's pedestrians).
            for cam in ("driveway", "porch"):
                watch.wait_payload(f"{base}/{cam}/person", b"ON", timeout=90)
            announce = json.loads(watch.last(f"{base}/driveway/announce"))
            assert announce["platform"] == "rtsp" and announce["resolution"] == [640, 360]
            assert json.loads(watch.last(f"{base}/porch/announce"))["platform"] == "snapshot"
            # The announce (what HA's diagnostics show) carries no source, so no login.
            for cam in ("driveway", "porch"):
                text = watch.last(f"{base}/{cam}/announce").decode()
                assert "admin" not in text and "viewer" not in text and "://" not in text, text
            # The cameras' state in the service stats (what Home Assistant shows): the wrong
            # password fails, with the login named and neither the password nor the URL.
            hosted = watch.wait_json(
                stats_topic,
                lambda s: s["hosted"]["garage"]["state"] == "failed",
                timeout=60,
                after=time.monotonic(),  # both others run by now
            )["hosted"]
            assert hosted["driveway"]["state"] == hosted["porch"]["state"] == "running", hosted
            assert hosted["driveway"]["last_error"] is None
            garage = hosted["garage"]
            assert garage["last_error"].startswith("the camera refused the login (401 Unauthorized)"), garage
            assert "://" not in json.dumps(hosted) and "admin" not in json.dumps(hosted)
            # Nothing in any command line of the add-on's processes carries a password.
            lines = _cmdlines(proc.pid)
            assert len(lines) >= 4, lines  # the add-on, its worker, its cameras
            assert not [
                line for line in lines if "Zq8" in line or "not-the-password" in line or "%40" in line
            ]

            # The stream drops: the camera goes offline (its process restarted with backoff) and
            # comes back with the stream; detection resumes.
            dropped = time.monotonic()
            rtsp.stop()
            offline = watch.wait_topic(
                f"{base}/driveway/availability", lambda m: m.payload == b"offline", timeout=60, after=dropped
            )
            rtsp.start()
            back = time.monotonic()
            online = watch.wait_topic(
                f"{base}/driveway/availability", lambda m: m.payload == b"online", timeout=90, after=back
            )
            person = watch.wait_topic(
                f"{base}/driveway/detections",
                lambda m: any(o["label"] == "person" for o in json.loads(m.payload).get("objects", [])),
                timeout=90,
                after=back,
            )
            print(
                f"hosted: stream stopped -> offline {offline.at - dropped:.1f} s (stall_timeout 4 s); "
                f"stream back -> online {online.at - back:.1f} s, a person detected {person.at - back:.1f} s"
            )
            # Its state: running again, the restart counted, no error left.
            again = watch.wait_json(
                stats_topic,
                lambda s: (
                    s["hosted"]["driveway"]["state"] == "running" and s["hosted"]["driveway"]["restarts"]
                ),
                timeout=60,
                after=online.at,
            )["hosted"]["driveway"]
            assert again["last_error"] is None and again["restarts"] >= 1, again
            # The porch camera never stopped meanwhile.
            assert watch.count(f"{base}/porch/detections", after=back) > 0
            assert watch.last(f"{base}/garage/availability") in (None, b"offline")
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-3000:]
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.communicate()
        watch.close()
        rtsp.stop()
        snap.close()
    # The wrong password: a clear error for that camera, retried with backoff; no secret logged.
    assert "camera garage" in err and "refused the login (401 Unauthorized)" in err, err[-3000:]
    assert "restarting in" in err
    # The dropped stream: the host's restart line says why the camera's process stopped.
    assert re.search(
        r"camera driveway \(pid \d+\) exited with code 1: source rtsp://admin:\*\*\*@127\.0\.0\.1:\d+/cam: no frame for",
        err,
    ), err[-3000:]
    assert "Zq8" not in err and "not-the-password" not in err and "%40" not in err
    for payload in watch.payloads(stats_topic):  # no password in any of the published stats
        assert b"Zq8" not in payload and b"not-the-password" not in payload and b"%40" not in payload
    assert "rtsp://admin:***@127.0.0.1" in err
    for cam in ("driveway", "porch"):
        assert watch.last(f"{base}/{cam}/availability") == b"offline"  # stopped cleanly
