"""One login story in a real installation (issue 18.4): Mosquitto that wants a login (a
mosquitto_passwd password file), Home Assistant's MQTT integration logging in as its own user,
listen_frame with a password file, and a dumb camera whose password is wrong: it backs off (the
broker's refusals and the camera's log lines counted over a window) and, once its user is fixed
on the broker, connects without a restart and Home Assistant discovers it.

It brings up an installation of its own (its own broker, hass and services), so the shared
stack of the other e2e tests is left alone."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.e2e.harness import ROOT, Hass, HomeAssistantClient, dumb_camera, listen_frame, tail, until
from tests.support.mosquitto import Mosquitto

DOMAIN = "bobby_camera"
CAM, CAM_NAME = "gate", "Gate"
REFUSED = "refused the connection: Not authorized"
PASSWORDS = {"homeassistant": "ha-login-pw", "listen_frame": "lf-login-pw", "camera": "cam-login-pw"}


def _passwd(path: Path, user: str, password: str) -> None:
    subprocess.run(["mosquitto_passwd", "-b", str(path), user, password], check=True, timeout=30)
    path.chmod(0o644)  # Mosquitto started as root reads it as its own user


def _refusals(broker: Mosquitto) -> int:
    return broker.log.read_text().count("disconnected, not authorised")


async def test_a_wrong_camera_login_backs_off_and_connects_once_fixed(
    tmp_path: Path, model_path: Path, media_dir: Path
):
    # Outside pytest's private tmp_path: Mosquitto reads the password file as its own user.
    secrets = Path(tempfile.mkdtemp(prefix="bobby-e2e-login-"))
    secrets.chmod(0o755)
    passwd = secrets / "passwd"
    passwd.write_text("")
    for user, password in PASSWORDS.items():
        _passwd(passwd, user, password)
    broker = Mosquitto(extra_conf=f"allow_anonymous false\npassword_file {passwd}").start()
    hass = Hass(tmp_path / "ha-config", [ROOT / "custom_components" / DOMAIN])
    client = HomeAssistantClient(hass.url)
    lf = camera = None
    try:
        await hass.start()
        await client.onboard()
        await client.connect()
        # The MQTT integration with its own user, as Settings > Add integration > MQTT does it.
        flow = await client.post("/api/config/config_entries/flow", {"handler": "mqtt"})
        if flow["type"] == "menu":
            flow = await client.flow_step(flow, {"next_step_id": "broker"})
        result = await client.flow_step(
            flow,
            {
                "broker": broker.host,
                "port": broker.port,
                "username": "homeassistant",
                "password": PASSWORDS["homeassistant"],
            },
        )
        assert result["type"] == "create_entry", result

        # listen_frame: user in the URL, password from a file.
        lf_password = tmp_path / "listen_frame_password"
        lf_password.write_text(PASSWORDS["listen_frame"] + "\n")
        lf = listen_frame(f"mqtt://listen_frame@{broker.host}:{broker.port}", model_path, tmp_path / "lf.log")
        lf.args += ["--broker-password-file", str(lf_password)]
        lf.start()
        # The camera: user in the URL, a wrong password in $BOBBY_BROKER_PASSWORD.
        url = f"mqtt://camera@{broker.host}:{broker.port}"
        camera = dumb_camera(url, media_dir / "opencv_vtest.avi", CAM, CAM_NAME, tmp_path / "camera.log")
        camera.env = {**camera.env, "BOBBY_BROKER_PASSWORD": "not-the-password"}
        before = _refusals(broker)
        camera.start()

        def logs() -> str:
            return "\n".join([camera.log(), lf.log(), broker.log.read_text()[-2000:]])

        await until("the camera's refusal", lambda: REFUSED in tail(camera.log_path, 100_000), 60, 0.5, logs)
        window_start = time.monotonic()
        await asyncio.sleep(15)
        window = time.monotonic() - window_start
        attempts = _refusals(broker) - before
        camera_log = tail(camera.log_path, 100_000)
        print(
            f"wrong login: {attempts} attempts refused by the broker, {camera_log.count(REFUSED)} log line(s)"
        )
        # 1 s doubling to 60 s: attempts at 0, 1, 3, 7, 15 s, i.e. 4 or 5 in this window (a fixed
        # 0.5 s retry made 30); one warning for all of them.
        assert 3 <= attempts <= 6, (attempts, window, logs())
        assert camera_log.count(REFUSED) == 1, logs()
        assert camera.running and lf.running, logs()
        await until(
            "listen_frame connected with its user",
            lambda: "connected to mqtt://listen_frame:***@" in tail(lf.log_path, 100_000),
            60,
            0.5,
            logs,
        )
        flows = await client.ws_command("config_entries/flow/progress")
        assert not any(f["handler"] == DOMAIN for f in flows), flows  # nothing of the camera in HA yet

        # The user is fixed on the broker (its password set to the camera's): no camera restart.
        _passwd(passwd, "camera", "not-the-password")
        broker.proc.send_signal(signal.SIGHUP)  # Mosquitto reloads its password file
        fixed = time.monotonic()

        async def discovered() -> dict | None:
            flows = await client.ws_command("config_entries/flow/progress")
            return next((f for f in flows if f["handler"] == DOMAIN), None)

        # The next attempt comes at most 16 s later (the delay it reached), then discovery.
        flow = await until("Home Assistant to discover the camera", discovered, 120, 0.5, logs)
        print(f"discovered {time.monotonic() - fixed:.1f} s after the login was fixed")
        assert flow["context"].get("title_placeholders", {}).get("name") in (CAM_NAME, CAM), flow

        async def person_sensor() -> bool:
            return any(e["unique_id"] == f"bobby_{CAM}_person" for e in await client.entities())

        await until("the camera's person sensor (MQTT discovery)", person_sensor, 90, 0.5, logs)
        camera_log = tail(camera.log_path, 100_000)
        assert camera_log.count(REFUSED) == 1 and "refused attempt(s)" in camera_log, logs()
        assert "not-the-password" not in camera_log and PASSWORDS["listen_frame"] not in tail(
            lf.log_path, 100_000
        )
    finally:
        for process in (camera, lf):
            if process is not None:
                await asyncio.to_thread(process.stop)
        await client.close()
        await asyncio.to_thread(hass.stop)
        broker.stop()
        shutil.rmtree(secrets, ignore_errors=True)
