"""Test helpers: a firmware "board" run in a thread and its config (the far side is tests.support.mqtt.Collector)."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def base_config(broker, **top) -> dict:
    """A config.json for the fake board and the test broker, with unique camera id and base topic."""
    cfg = {
        "wifi": {"ssid": "bobby-test", "password": "secret-test"},
        "broker": {"host": broker.host, "port": broker.port, "keepalive": 30},
        "camera_id": unique("cam"),
        "name": "Test camera",
        "base_topic": unique("fw"),
        "fps": 5,
        "framesize": "VGA",
        "quality": 12,
        "diagnostics_interval": 5,
        "ntp_host": None,
    }
    cfg.update(top)
    return cfg


class Board:
    """The firmware's App on fake hardware, in a thread, with its flash in a directory."""

    def __init__(self, flash: Path, config: dict) -> None:
        self.flash = flash
        self.flash.mkdir(parents=True, exist_ok=True)
        self.config = config
        (flash / "config.json").write_text(json.dumps(config))
        self.app = None
        self.wdt = None
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    @property
    def cam(self) -> str:
        return self.config["camera_id"]

    @property
    def base(self) -> str:
        return self.config["base_topic"]

    def topic(self, *parts: str) -> str:
        return "/".join((self.base, self.cam, *parts))

    def start(self) -> Board:
        import bobby_cam
        import machine
        import settings

        cfg = settings.load_config(str(self.flash / "config.json"))
        self.wdt = machine.WDT(timeout=bobby_cam.WDT_TIMEOUT_MS)
        self.app = bobby_cam.App(cfg, state_path=str(self.flash / "state.json"), wdt=self.wdt)
        self.thread = threading.Thread(target=self._run, name=f"board-{self.cam}", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            self.app.run()
        except BaseException as e:
            self.error = e

    def stop(self) -> None:
        if self.thread is None:
            return
        self.app.stop()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the firmware loop did not stop"
        self.thread = None
        if self.error:
            raise self.error
