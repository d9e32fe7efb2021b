"""config.json: a missing or invalid key stops the firmware with a clear message on the console,
before the watchdog is started (so the board waits at the REPL instead of resetting in a loop)."""

from __future__ import annotations

import json

import pytest

GOOD = {
    "wifi": {"ssid": "home", "password": "pw"},
    "broker": {"host": "192.168.1.10"},
    "camera_id": "garden",
}


def _with(change):
    cfg = json.loads(json.dumps(GOOD))
    change(cfg)
    return cfg


BAD = [
    (None, "config.json not found: copy config.example.json there"),
    ("{ wifi: }", "config.json is not valid JSON"),
    ("[1, 2]", "config.json: the file must hold one JSON object"),
    (_with(lambda c: c.pop("camera_id")), "config.json: camera_id is missing"),
    (_with(lambda c: c.pop("wifi")), "config.json: wifi is missing"),
    (_with(lambda c: c["wifi"].pop("ssid")), "config.json: wifi.ssid is missing"),
    (
        _with(lambda c: c.update(camera_id="my garden")),
        'camera_id must be 1 to 64 characters of a-z A-Z 0-9 _ - (got "my garden")',
    ),
    (_with(lambda c: c.update(fps=100)), "config.json: fps must be a number from 0.1 to 20.0 (got 100)"),
    (_with(lambda c: c.update(fps="2")), 'fps must be a number from 0.1 to 20.0 (got "2")'),
    (
        _with(lambda c: c.update(framesize="4K")),
        'framesize must be one of 240X240, 96X96, CIF, HD, HQVGA, HVGA, QCIF, QQVGA, QVGA, SVGA, SXGA, UXGA, VGA, XGA (got "4K")',
    ),
    (_with(lambda c: c.update(quality=5)), "quality must be a whole number from 10 (best) to 63 (got 5)"),
    (
        _with(lambda c: c["broker"].update(port="1883")),
        'config.json: broker.port must be a whole number from 1 to 65535 (got "1883")',
    ),
    (
        _with(lambda c: c["broker"].update(user="bobby", password=1234)),
        "broker.password must be text of 0 to 128 characters (got a hidden value)",
    ),
    (_with(lambda c: c["broker"].update(password="x")), "broker.password is set but broker.user is not"),
    (
        _with(lambda c: c.update(fsp=2)),
        "config.json: unknown key 'fsp' (known: base_topic, camera_id, camera_pins,",
    ),
    (_with(lambda c: c["broker"].update(prot=1883)), "config.json: broker: unknown key 'prot'"),
    (_with(lambda c: c.update(base_topic="bobby/#")), "base_topic must be a topic prefix without + #"),
    (_with(lambda c: c.update(camera_pins={"d9": 4})), "camera_pins unknown pin 'd9'"),
]


@pytest.mark.parametrize("content, message", BAD, ids=[m[:40] for _, m in BAD])
def test_an_invalid_config_stops_with_a_clear_message(hw, tmp_path, capsys, content, message):
    import bobby_cam
    import machine

    path = tmp_path / "config.json"
    if content is not None:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    assert bobby_cam.main(str(path), str(tmp_path / "state.json")) is None
    out = capsys.readouterr().out
    assert message in out.replace(str(tmp_path / "config.json"), "config.json"), out
    assert "stopped. Fix it" in out
    assert machine.wdts == [] and machine.resets == []  # no watchdog, no reset: no crash loop


def test_a_build_without_the_camera_module_says_which_to_flash(hw, tmp_path, capsys, monkeypatch):
    import bobby_cam
    import cam_driver
    import machine

    (tmp_path / "config.json").write_text(json.dumps(GOOD))
    monkeypatch.setattr(cam_driver, "camera", None)
    assert bobby_cam.main(str(tmp_path / "config.json")) is None
    out = capsys.readouterr().out
    assert "no 'camera' module: flash the ESP32_CAM firmware of lemariva/micropython-camera-driver" in out
    assert machine.wdts == []


def test_defaults_fill_what_is_left_out():
    import settings

    cfg = settings.parse_config(GOOD)
    assert cfg["broker"] == {
        "host": "192.168.1.10",
        "port": 1883,
        "user": None,
        "password": None,
        "keepalive": 30,
    }
    assert (cfg["name"], cfg["base_topic"], cfg["discovery_prefix"]) == ("garden", "bobby", "homeassistant")
    assert (cfg["fps"], cfg["framesize"], cfg["quality"], cfg["streaming"]) == (2.0, "VGA", 12, True)
    assert settings.parse_config(_with(lambda c: c.update(framesize="qvga")))["framesize"] == "QVGA"


def test_the_example_config_is_valid():
    import settings

    from tests.firmware.conftest import FIRMWARE

    cfg = settings.load_config(str(FIRMWARE / "config.example.json"))
    assert cfg["camera_id"] == "garden" and cfg["broker"]["user"] == "bobby"
