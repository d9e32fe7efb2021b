"""The status page in a real headless Chromium: it loads, the stream shows frames, the ROI overlay
is drawn. The screenshot is kept in artifacts/ (git-ignored)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from tests.support.mosquitto import free_port
from tests.support.mqtt import Collector
from tests.support.procs import ROOT, smart_camera

ROI = {"id": "door", "name": "Door", "points": [[0.1, 0.2], [0.5, 0.2], [0.5, 0.9], [0.1, 0.9]]}


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Chromium is needed for this test: scripts/setup.sh installs it (apt install chromium)"
    return path


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{uuid.uuid4().hex[:6]}"
    cmd = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=900,800",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


def test_status_page_in_chromium(mosquitto, tmp_path, model_path, media_dir):
    base = f"b{uuid.uuid4().hex[:8]}"
    port = free_port()
    rec = Collector(mosquitto, [f"{base}/lobby/#"])
    rec.publish(f"{base}/lobby/rois", json.dumps({"version": 2, "rois": [ROI]}), retain=True)
    token = "viewer-token-123"
    camera = smart_camera(
        mosquitto,
        tmp_path,
        base,
        "lobby",
        media_dir / "opencv_vtest.avi",
        model_path,
        ["--name", "Lobby", "--fps", "5", "--http-port", str(port)],
        name="camera",
        BOBBY_HTTP_TOKEN=token,
    )
    try:
        rec.wait_topic(
            f"{base}/lobby/rois/applied", where=lambda m: json.loads(m.payload)["version"] == 2, timeout=30
        )
        rec.wait_topic(f"{base}/lobby/stats", timeout=15)
        url = f"http://127.0.0.1:{port}/"
        # Without the token: refused.
        try:
            urllib.request.urlopen(url, timeout=5)
            raise AssertionError("the page was served without the token")
        except urllib.error.HTTPError as err:
            assert err.code == 401

        dom = run_chromium(tmp_path, "--virtual-time-budget=6000", "--dump-dom", f"{url}?token={token}")
        html = dom.stdout
        assert "<h1>Lobby</h1>" in html, dom.stderr[-2000:]
        assert re.search(r'data-stream-loaded="(\d+)"', html) and 'data-stream-loaded="0"' not in html, html[
            :3000
        ]
        assert 'data-roi-count="1"' in html and 'data-roi="door"' in html
        assert 'data-status-loaded="1"' in html
        assert re.search(r'<span id="rois-version">2</span>', html)

        artifacts = ROOT / "artifacts"
        artifacts.mkdir(exist_ok=True)
        shot = artifacts / "status_page.png"
        shot.unlink(missing_ok=True)
        run_chromium(tmp_path, "--virtual-time-budget=6000", f"--screenshot={shot}", f"{url}?token={token}")
        assert shot.is_file() and shot.stat().st_size > 20_000  # a picture, not a blank page
    finally:
        camera.kill()
        rec.publish(f"{base}/lobby/rois", b"", retain=True)
        rec.close()


def test_markup_in_the_token_and_the_stats_does_not_run_in_chromium(tmp_path):
    """A crafted link (?token=…) and hostile stats text reach a real browser as text, never as code."""
    from edge_agent.camera.http import FrameHub, HttpSettings, LiveServer

    attack = "document.body.dataset.pwned='1'"
    evil = f'"\'></script><script>{attack}</script><img src=x onerror="{attack}">'
    hub = FrameHub()
    server = LiveServer(
        HttpSettings(free_port()),  # no authentication: anyone's ?token= is reflected
        hub,
        "gate",
        "Gate",
        status=lambda: {"stats": {f'<img src=x onerror="{attack}">': f'<b onmouseover="{attack}">v</b>'}},
        streaming=lambda: False,  # /video answers 503 at once: the page finishes loading
    )
    server.start()
    try:
        url = f"http://127.0.0.1:{server.port}/?token=" + urllib.parse.quote(evil)
        html = run_chromium(tmp_path, "--virtual-time-budget=4000", "--dump-dom", url).stdout
        assert 'data-status-loaded="1"' in html, html[:3000]  # the page's own script ran
        assert "data-pwned" not in html  # the attack's script and handlers never ran
        assert html.count("<script") == 1 and '<img src="x"' not in html  # no element injected
        # The hostile stats are shown as text (escaped in the DOM dump), not as elements.
        assert "&lt;img src=x onerror=" in html and "<b onmouseover" not in html
    finally:
        server.stop()
