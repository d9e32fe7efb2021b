"""The whole installation a user would have, brought up the way they would: Mosquitto, a fresh
Home Assistant onboarded over its API, the MQTT integration added through its config flow,
listen_frame and a dumb camera, and the discovered Bobby camera accepted."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.harness import (
    ROOT,
    Hass,
    HomeAssistantClient,
    Process,
    build_video,
    dumb_camera,
    listen_frame,
    tail,
    until,
)
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import Collector

_LOGGER = logging.getLogger(__name__)
CAM = "porch"
CAM_NAME = "Porch"
BASE = "bobby"
DOMAIN = "bobby_camera"


@dataclass
class Stack:
    tmp: Path
    model: Path
    media: Path
    broker: Mosquitto
    hass: Hass
    client: HomeAssistantClient
    mqtt: Collector  # what the services publish for the camera (not the frames)
    listen_frame: Process
    camera: Process
    cam: str = CAM
    entry_id: str = ""
    device_id: str = ""
    entities: dict[str, str] = field(default_factory=dict)  # object id -> entity id
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def broker_url(self) -> str:
        return f"mqtt://{self.broker.host}:{self.broker.port}"

    @property
    def topic(self) -> str:
        return f"{BASE}/{self.cam}"

    def logs(self) -> str:
        """For failures: hass's log records (first lines only: the tracebacks of onboarding's
        integrations that cannot load here would fill it; artifacts/e2e-logs/ has everything),
        then listen_frame's and the camera's logs."""
        records = [
            line for line in tail(self.hass.process.log_path, 200_000).splitlines() if line[:2] == "20"
        ]
        hass = f"--- hass (exit {self.hass.process.proc.poll()}), last records ---\n" + "\n".join(
            records[-40:]
        )
        return "\n".join([hass, *(p.log() for p in (self.listen_frame, self.camera) if p is not None)])

    async def until(self, what: str, check: Any, timeout: float = 60.0, interval: float = 0.3) -> Any:
        return await until(what, check, timeout, interval, self.logs)

    # parts that tests restart

    async def restart_hass(self) -> float:
        """Stop hass, start it on the same config dir, reconnect; seconds until it is back."""
        t0 = time.monotonic()
        await self.client.disconnect_ws()
        await asyncio.to_thread(self.hass.stop)
        await self.hass.start()
        await self.client.connect()
        await self.wait_entry_loaded()
        return time.monotonic() - t0

    @property
    def record_dir(self) -> Path:
        """Where listen_frame records the visits: HA's media folder, as the add-on (/media/bobby_camera)."""
        return self.hass.media_dir / "bobby_camera"

    async def restart_listen_frame(self) -> None:
        await asyncio.to_thread(self.listen_frame.stop)
        self.listen_frame = listen_frame(
            self.broker_url, self.model, self.tmp / "listen_frame.log", record_dir=self.record_dir
        ).start()

    async def replace_camera(self, video: Path) -> None:
        """The same camera id, now playing `video` (a camera restarted with another source)."""
        await asyncio.to_thread(self.camera.stop)
        self.camera = dumb_camera(self.broker_url, video, self.cam, CAM_NAME, self.tmp / "camera.log").start()

    @property
    def scene(self) -> Path:
        """The stack's steady scene: people in every frame, looping (start_stack builds it)."""
        return self.tmp / "people.avi"

    async def restore_scene(self) -> None:
        """The camera back on the steady scene after a test played another video (the tests after
        it rely on people in view: the card's boxes, the person sensor on), until HA's person
        sensor is on again."""
        args = self.camera.args
        if args[args.index("--source") + 1] != str(self.scene):
            await self.replace_camera(self.scene)
        await self.until(
            "the person sensor on (the stack's scene back)", lambda: _is(self, "person", "on"), 90
        )

    async def wait_entry_loaded(self) -> None:
        async def loaded() -> bool:
            entries = await self.client.get(f"/api/config/config_entries/entry?domain={DOMAIN}")
            return any(e["entry_id"] == self.entry_id and e["state"] == "loaded" for e in entries)

        await self.until("the Bobby camera entry to load", loaded, 60)

    async def state(self, object_id: str) -> str | None:
        st = await self.client.state(self.entities[object_id])
        return st["state"] if st else None

    async def options_flow(self) -> dict:
        flow = await self.client.post("/api/config/config_entries/options/flow", {"handler": self.entry_id})
        assert flow["type"] == "menu", flow
        return flow


async def start_stack(tmp: Path, model: Path, media: Path, artifacts: Path) -> Stack:
    t0 = time.monotonic()
    timings: dict[str, float] = {}

    def mark(step: str) -> None:
        timings[step] = round(time.monotonic() - t0, 1)
        _LOGGER.warning("e2e stack: %s after %.1f s", step, timings[step])

    tmp.mkdir(parents=True, exist_ok=True)
    broker = Mosquitto().start()
    hass = Hass(tmp / "ha-config", [ROOT / "custom_components" / DOMAIN])
    hass_started = asyncio.create_task(hass.start())
    # Built while hass starts: a scene with people, looping (the stack's steady state).
    video = await asyncio.to_thread(build_video, tmp / "people.avi", media, [("people", 120)])
    await hass_started
    mark("hass up")
    client = HomeAssistantClient(hass.url)
    await client.onboard()
    await client.connect()
    mark("onboarded")

    collector = Collector(
        broker,
        [
            # "x/#" matches x itself too: one subscription each, else messages come twice.
            f"{BASE}/{CAM}/person/#",
            f"{BASE}/{CAM}/arrival/#",
            f"{BASE}/{CAM}/snapshot",
            f"{BASE}/{CAM}/rois/#",
            f"{BASE}/{CAM}/detection/state",
            f"{BASE}/{CAM}/stats",
            f"{BASE}/{CAM}/availability",
        ],
    )
    stack = Stack(
        tmp=tmp,
        model=model,
        media=media,
        broker=broker,
        hass=hass,
        client=client,
        mqtt=collector,
        listen_frame=None,  # type: ignore[arg-type]
        camera=None,  # type: ignore[arg-type]
        timings=timings,
    )
    try:
        # The MQTT integration, as Settings > Add integration > MQTT does it.
        flow = await client.post("/api/config/config_entries/flow", {"handler": "mqtt"})
        if flow["type"] == "menu":  # newer HA asks how to connect first
            flow = await client.flow_step(flow, {"next_step_id": "broker"})
        assert flow["type"] == "form" and flow["step_id"] == "broker", flow
        result = await client.flow_step(flow, {"broker": broker.host, "port": broker.port})
        assert result["type"] == "create_entry", result
        mark("mqtt integration added")

        stack.listen_frame = listen_frame(
            stack.broker_url, model, tmp / "listen_frame.log", record_dir=stack.record_dir
        ).start()
        stack.camera = dumb_camera(stack.broker_url, video, CAM, CAM_NAME, tmp / "camera.log").start()

        # The camera's announce starts HA's MQTT discovery of the integration: "Discovered".
        async def discovered() -> dict | None:
            flows = await client.ws_command("config_entries/flow/progress")
            return next((f for f in flows if f["handler"] == DOMAIN), None)

        flow = await stack.until("the discovered Bobby camera flow", discovered, 60)
        mark("bobby camera discovered")
        result = await client.flow_step(flow, {})
        assert result["type"] == "create_entry", result
        stack.entry_id = result["result"]["entry_id"]
        await stack.wait_entry_loaded()

        async def device() -> str | None:
            for dev in await client.ws_command("config/device_registry/list"):
                if ["mqtt", f"bobby_{CAM}"] in dev["identifiers"]:
                    return dev["id"]
            return None

        stack.device_id = await stack.until("the camera's device", device, 60)

        async def entities() -> bool:
            registry = await client.entities()
            by_unique = {e["unique_id"]: e["entity_id"] for e in registry}
            for obj in ("person", "detection", "last_person", "person_count"):
                if f"bobby_{CAM}_{obj}" in by_unique:
                    stack.entities[obj] = by_unique[f"bobby_{CAM}_{obj}"]
            for e in registry:
                if e["platform"] == DOMAIN and e["device_id"] == stack.device_id:
                    kind = e["entity_id"].split(".")[0]
                    stack.entities["live_view" if kind == "camera" else "detection_service"] = e["entity_id"]
            return {
                "person",
                "person_count",
                "detection",
                "last_person",
                "live_view",
                "detection_service",
            } <= (stack.entities.keys())

        await stack.until("the camera's entities", entities, 60)
        await stack.until(
            "binary_sensor person on (people in the picture)", lambda: _is(stack, "person", "on"), 60
        )
        mark("person on in HA")
        (artifacts / "e2e-timings.json").write_text(json.dumps(timings, indent=1))
        return stack
    except BaseException:
        _LOGGER.error("e2e stack failed to start:\n%s", stack.logs() if stack.camera else hass.log())
        await stop_stack(stack)
        raise


async def _is(stack: Stack, obj: str, value: str) -> bool:
    return await stack.state(obj) == value


async def stop_stack(stack: Stack) -> None:
    await stack.client.close()
    for proc in (stack.camera, stack.listen_frame):
        if proc is not None:
            await asyncio.to_thread(proc.stop)
    await asyncio.to_thread(stack.hass.stop)
    stack.mqtt.close()
    stack.broker.stop()
