"""The real parts of the end-to-end suite: a `hass` process, its REST and websocket APIs, the edge
processes (listen_frame, a dumb camera), videos built from the shared media, and headless Chromium
driven over the DevTools protocol.

Everything listens on 127.0.0.1; nothing reaches the internet (hass runs with --skip-pip and a
configuration without discovery integrations).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import aiohttp
import cv2
import numpy as np

from tests.support.mosquitto import free_port

_LOGGER = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
HASS = Path(sys.executable).with_name("hass")  # .venv-ha/bin/hass: this suite runs in .venv-ha
EDGE_PYTHON = ROOT / ".venv" / "bin" / "python"  # edge_agent's own interpreter (3.11, TFLite)

# Only what the tests and the pages they open need: no default_config, so no zeroconf, ssdp,
# dhcp, bluetooth, cloud or anything else that would look at the network.
CONFIGURATION_YAML = """\
homeassistant:
  name: Bobby e2e
  # 0, 0: onboarding then adds no Met.no weather (it would fetch forecasts from the internet).
  latitude: 0
  longitude: 0
  elevation: 0
  unit_system: metric
  time_zone: UTC
  country: NL
  currency: EUR
  internal_url: "{url}"
  # HA's media folder inside this installation's config dir (in a container HA would take
  # /media, shared by every run); the visits' files go under <media>/bobby_camera (docs/mqtt.md).
  media_dirs:
    local: "{media}"
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
api:
config:
onboarding:
automation: !include automations.yaml
counter:
lovelace:
repairs:
mobile_app:
# What default_config brings and a user has: the history a week of use leaves, as the churn
# test counts it (tests/e2e/test_entity_churn.py: recorder rows, logbook lines per entity).
recorder:
  commit_interval: 1
history:
logbook:
# default_config's media browser: the visits of the cameras (tests/e2e/test_visit_media.py).
media_source:
logger:
  default: warning
  logs:
    custom_components.bobby_camera: info
    homeassistant.components.mqtt: warning
"""


async def until(
    what: str,
    check: Callable[[], Awaitable[Any]] | Callable[[], Any],
    timeout: float,
    interval: float = 0.3,
    logs: Callable[[], str] | None = None,
) -> Any:
    """Poll `check` (sync or async) until it returns something true; fail with the logs."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
        except (aiohttp.ClientError, OSError, KeyError, ValueError) as err:  # not up yet
            last_error = err
        await asyncio.sleep(interval)
    extra = f" (last error: {last_error!r})" if last_error else ""
    raise AssertionError(
        f"timed out after {timeout:.0f} s waiting for {what}{extra}\n{logs() if logs else ''}"
    )


def tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return ""


# --- videos ------------------------------------------------------------------------------------

SIZE = (640, 480)
EMPTY_STILLS = ["skimage_coffee.png", "skimage_chelsea.png", "picamera2_dog.png"]  # no person (MANIFEST)


def _still(media: Path, name: str) -> np.ndarray:
    img = cv2.imread(str(media / name))
    assert img is not None, f"cannot read {media / name}"
    return cv2.resize(img, SIZE)


def _vtest_frames(media: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(media / "opencv_vtest.avi"))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.resize(frame, SIZE))
    cap.release()
    assert frames, "opencv_vtest.avi gives no frames"
    return frames


def build_video(path: Path, media: Path, segments: Iterable[tuple[str, int]]) -> Path:
    """An MJPG AVI of `segments`: ("empty", n) are n frames of stills without a person (one still
    a few frames long, then the next), ("people", n) the next n frames of opencv_vtest.avi
    (pedestrians in every frame). The dumb camera plays one file frame per 1/fps seconds, so a
    segment of n frames lasts n/fps seconds in front of listen_frame."""
    people = _vtest_frames(media)
    vt = itertools.cycle(people)
    empties = [_still(media, name) for name in EMPTY_STILLS]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, SIZE)
    assert writer.isOpened(), "OpenCV cannot write MJPG AVI"
    try:
        for kind, count in segments:
            for i in range(count):
                if kind == "people":
                    frame = next(vt)
                elif kind == "empty":
                    frame = empties[(i // 8) % len(empties)]
                else:
                    raise ValueError(kind)
                writer.write(frame)
    finally:
        writer.release()
    return path


# --- processes ---------------------------------------------------------------------------------


class Process:
    """A subprocess with its output in a log file."""

    def __init__(self, name: str, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.name, self.args, self.log_path = name, args, log
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self) -> Process:
        self.log_file = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.args, cwd=ROOT, stdout=self.log_file, stderr=subprocess.STDOUT, env=self.env
        )
        _LOGGER.info("started %s (pid %d)", self.name, self.proc.pid)
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self, chars: int = 4000) -> str:
        return f"--- {self.name} (exit {self.proc.poll() if self.proc else None}) ---\n" + tail(
            self.log_path, chars
        )

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _LOGGER.warning("%s did not stop in %.0f s: killed", self.name, timeout)
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode


def edge_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOBBY_BROKER")}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    return env


def listen_frame(
    broker_url: str, model: Path, log: Path, instance: str = "e2e", record_dir: Path | None = None
) -> Process:
    """listen_frame; with `record_dir`, recording each visit there as the add-on does under
    /media/bobby_camera (docs/mqtt.md "events")."""
    return Process(
        "listen_frame",
        [
            str(EDGE_PYTHON),
            "-m",
            "edge_agent",
            "listen-frame",
            "--broker",
            broker_url,
            "--workers",
            "1",
            "--model",
            str(model),
            "--instance",
            instance,
            "--stats-interval",
            "2",
            *(["--record-dir", str(record_dir)] if record_dir is not None else []),
        ],
        log,
        edge_env(),
    )


def _camera_command(mode: str, broker_url: str, video: Path, cam: str, name: str, fps: float) -> list[str]:
    """`python -m edge_agent camera` in `mode` on `video` (the edge venv's Python)."""
    return [
        str(EDGE_PYTHON),
        "-m",
        "edge_agent",
        "camera",
        "--mode",
        mode,
        "--source",
        str(video),
        "--camera-id",
        cam,
        "--name",
        name,
        "--broker",
        broker_url,
        "--fps",
        str(fps),
    ]


def dumb_camera(broker_url: str, video: Path, cam: str, name: str, log: Path, fps: float = 4.0) -> Process:
    return Process("camera", _camera_command("dumb", broker_url, video, cam, name, fps), log, edge_env())


def smart_camera(
    broker_url: str,
    model: Path,
    video: Path,
    cam: str,
    name: str,
    workdir: Path,
    http_port: int,
    token: str,
    fps: float = 4.0,
) -> Process:
    """A smart camera (it detects with `model` itself) recording its visits under
    `workdir`/rec (event clips only, 1 s pre- and post-roll) and serving them, with its live view,
    on 127.0.0.1:`http_port` to whoever gives `token` (docs/mqtt.md "events"). Its log is
    `workdir`/<cam>.log."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / f"{cam}.yaml"
    config.write_text(
        "\n".join(
            [
                "record: true",
                f"record_dir: {workdir / 'rec'}",
                "continuous: false",
                "pre_roll: 1",
                "post_roll: 1",
                f"http_port: {http_port}",
                f"state_dir: {workdir / 'state'}",
            ]
        )
    )
    # The token by its environment variable, as the add-on gives it (not on the command line).
    return Process(
        f"smart camera {cam}",
        [
            *_camera_command("smart", broker_url, video, cam, name, fps),
            "--config",
            str(config),
            "--model",
            str(model),
            "--width",
            "384",
            "--height",
            "288",
            "--state-wait",
            "0.5",
        ],
        workdir / f"{cam}.log",
        {**edge_env(), "BOBBY_HTTP_TOKEN": token},
    )


# --- Home Assistant ----------------------------------------------------------------------------


class Hass:
    """`hass -c <config>` on 127.0.0.1:<port>; start() again after stop() reuses the config dir."""

    def __init__(self, config_dir: Path, custom_components: Iterable[Path] = ()) -> None:
        self.config_dir = config_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config_dir.mkdir(parents=True, exist_ok=True)
        self.media_dir = config_dir / "media"
        self.media_dir.mkdir(exist_ok=True)
        (config_dir / "configuration.yaml").write_text(
            CONFIGURATION_YAML.format(url=self.url, port=self.port, media=self.media_dir)
        )
        (config_dir / "automations.yaml").write_text("[]\n")
        # Onboarding's core_config step adds radio_browser (looks up radio-browser.info at once)
        # and shopping_list; present and disabled, they are left alone (single config entry).
        storage = config_dir / ".storage"
        storage.mkdir(exist_ok=True)
        seeded = [
            {"entry_id": f"e2edisabled{domain}", "version": 1, "domain": domain, "title": domain,
             "data": {}, "source": "user", "disabled_by": "user"}
            for domain in ("radio_browser", "shopping_list")
        ]  # fmt: skip
        (storage / "core.config_entries").write_text(
            json.dumps(
                {"version": 1, "minor_version": 1, "key": "core.config_entries", "data": {"entries": seeded}}
            )
        )
        cc = config_dir / "custom_components"
        cc.mkdir(exist_ok=True)
        for component in custom_components:
            (cc / component.name).symlink_to(component)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # --skip-pip: every requirement is installed from requirements-ha.txt; hass must not pip.
        self.process = Process(
            "hass", [str(HASS), "-c", str(config_dir), "--skip-pip"], config_dir / "hass.out", env
        )

    def log(self, chars: int = 6000) -> str:
        return self.process.log(chars)

    async def start(self, timeout: float = 120.0) -> None:
        self.process.start()

        async def up() -> bool:
            if not self.process.running:
                raise AssertionError(f"hass exited\n{self.log()}")
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{self.url}/manifest.json") as resp:
                    return resp.status == 200

        await until("hass to serve HTTP", up, timeout, 0.5, self.log)

    def stop(self) -> None:
        self.process.stop(60)


class HomeAssistantClient:
    """REST and websocket API of a running hass, with a user's access token."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client_id = f"{url}/"
        self.tokens: dict[str, Any] = {}
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._subscriptions: dict[int, Callable[[dict], None]] = {}
        self._reader: asyncio.Task | None = None

    # REST
    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    async def request(self, method: str, path: str, json_body: Any = None, expect: int = 200) -> Any:
        assert self.session is not None
        async with self.session.request(
            method, self.url + path, json=json_body, headers=self.headers
        ) as resp:
            text = await resp.text()
            assert resp.status == expect, f"{method} {path}: HTTP {resp.status}: {text[:2000]}"
            return json.loads(text) if text else None

    async def get(self, path: str) -> Any:
        return await self.request("GET", path)

    async def post(self, path: str, body: Any = None) -> Any:
        return await self.request("POST", path, body if body is not None else {})

    async def onboard(self, username: str = "e2e", password: str = "e2e-secret-pass") -> None:
        """The onboarding a new user clicks through, over REST: owner, core config, analytics,
        integrations; the access token comes from /auth/token with the owner's auth code."""
        self.session = self.session or aiohttp.ClientSession()
        async with self.session.post(
            f"{self.url}/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": "E2E Owner",
                "username": username,
                "password": password,
                "language": "en",
            },
        ) as resp:
            assert resp.status == 200, f"onboarding user: HTTP {resp.status}: {await resp.text()}"
            code = (await resp.json())["auth_code"]
        await self._token({"grant_type": "authorization_code", "code": code, "client_id": self.client_id})
        await self.post("/api/onboarding/core_config")
        await self._remove_google_translate()
        await self.post("/api/onboarding/analytics")
        await self.post(
            "/api/onboarding/integration",
            {"client_id": self.client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
        )
        assert all(step["done"] for step in await self.get("/api/onboarding")), "onboarding not done"

    async def _remove_google_translate(self) -> None:
        """core_config also adds Google Translate TTS (the internet, and gTTS, not installed:
        --skip-pip); it is removed as a user would, before it matters."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            entries = await self.get("/api/config/config_entries/entry?domain=google_translate")
            if entries:
                for entry in entries:
                    await self.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
                return
            await asyncio.sleep(0.3)

    async def _token(self, form: dict[str, str]) -> None:
        assert self.session is not None
        async with self.session.post(f"{self.url}/auth/token", data=form) as resp:
            assert resp.status == 200, f"/auth/token: HTTP {resp.status}: {await resp.text()}"
            tokens = await resp.json()
        self.tokens = {**self.tokens, **tokens}
        self.tokens["expires"] = int((time.time() + tokens["expires_in"]) * 1000)

    async def refresh(self) -> None:
        await self._token(
            {
                "grant_type": "refresh_token",
                "refresh_token": self.tokens["refresh_token"],
                "client_id": self.client_id,
            }
        )

    def frontend_tokens(self) -> dict[str, Any]:
        """What the frontend keeps in localStorage.hassTokens after a login."""
        return {
            "access_token": self.tokens["access_token"],
            "token_type": "Bearer",
            "expires_in": self.tokens["expires_in"],
            "refresh_token": self.tokens["refresh_token"],
            "expires": self.tokens["expires"],
            "hassUrl": self.url,
            "clientId": self.client_id,
        }

    # websocket
    async def connect(self) -> None:
        self.session = self.session or aiohttp.ClientSession()
        await self.disconnect_ws()
        self.ws = await self.session.ws_connect(f"{self.url}/api/websocket", max_msg_size=0)
        assert (await self.ws.receive_json())["type"] == "auth_required"
        await self.ws.send_json({"type": "auth", "access_token": self.tokens["access_token"]})
        answer = await self.ws.receive_json()
        assert answer["type"] == "auth_ok", answer
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            for item in data if isinstance(data, list) else [data]:
                if item.get("type") == "event" and item["id"] in self._subscriptions:
                    self._subscriptions[item["id"]](item["event"])
                elif (fut := self._pending.pop(item.get("id"), None)) is not None and not fut.done():
                    fut.set_result(item)
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(ConnectionError("websocket closed"))
        self._pending.clear()

    async def ws_command(self, msg_type: str, timeout: float = 30.0, **data: Any) -> Any:
        answer = await self._send({"type": msg_type, **data}, timeout)
        assert answer.get("success"), f"{msg_type}: {answer.get('error')}"
        return answer.get("result")

    async def _send(self, message: dict, timeout: float) -> dict:
        assert self.ws is not None, "websocket not connected"
        msg_id = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        await self.ws.send_json({"id": msg_id, **message})
        return await asyncio.wait_for(fut, timeout)

    async def subscribe(self, msg_type: str, on_event: Callable[[dict], None], **data: Any) -> int:
        """A websocket subscription (subscribe_events, config_entries/flow/subscribe, …)."""
        assert self.ws is not None
        msg_id = next(self._ids)
        self._subscriptions[msg_id] = on_event
        fut = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        await self.ws.send_json({"id": msg_id, "type": msg_type, **data})
        answer = await asyncio.wait_for(fut, 30)
        assert answer.get("success"), f"{msg_type}: {answer.get('error')}"
        return msg_id

    async def disconnect_ws(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        self.ws, self._reader = None, None
        self._subscriptions.clear()

    async def close(self) -> None:
        await self.disconnect_ws()
        if self.session is not None:
            await self.session.close()
            self.session = None

    # shortcuts
    async def state(self, entity_id: str) -> dict | None:
        assert self.session is not None
        async with self.session.get(f"{self.url}/api/states/{entity_id}", headers=self.headers) as resp:
            if resp.status == 404:
                return None
            assert resp.status == 200, f"state {entity_id}: HTTP {resp.status}"
            return await resp.json()

    async def entities(self) -> list[dict]:
        return await self.ws_command("config/entity_registry/list")

    async def entity_id(self, unique_id: str, platform: str | None = None) -> str | None:
        for entry in await self.entities():
            if entry["unique_id"] == unique_id and (platform is None or entry["platform"] == platform):
                return entry["entity_id"]
        return None

    async def camera_device(self, cam: str) -> dict | None:
        """The HA device of Bobby camera `cam` (MQTT discovery's identifier), or None."""
        for dev in await self.ws_command("config/device_registry/list"):
            if ["mqtt", f"bobby_{cam}"] in dev["identifiers"]:
                return dev
        return None

    async def delete_device(self, cam: str) -> None:
        """The device page's Delete (docs/home-assistant.md "Remove a camera"): every config entry
        of the camera's device removed from it. The device may go between two removals (the last
        entry's removal, or HA's MQTT emptying it once listen_frame forgot the camera): "Unknown
        device" is then the end, not an error."""
        device = await self.camera_device(cam)
        for entry_id in device["config_entries"] if device is not None else []:
            device = await self.camera_device(cam)
            if device is None:
                return
            if entry_id not in device["config_entries"]:
                continue  # taken off by an earlier removal
            try:
                await self.ws_command(
                    "config/device_registry/remove_config_entry",
                    config_entry_id=entry_id,
                    device_id=device["id"],
                )
            except AssertionError:
                device = await self.camera_device(cam)
                if device is not None and entry_id in device["config_entries"]:
                    raise

    async def delete_entry(self, entry_id: str) -> None:
        """The entry's ⋮ > Delete, if it is still there. HA may be removing it itself meanwhile (a
        Bobby entry goes with its device: async_remove_config_entry_device): an entry gone
        between the look and the DELETE is the end, not an error."""
        entries = await self.get("/api/config/config_entries/entry")
        if not any(e["entry_id"] == entry_id for e in entries):
            return
        try:
            await self.request("DELETE", f"/api/config/config_entries/entry/{entry_id}")
        except AssertionError:
            entries = await self.get("/api/config/config_entries/entry")
            if any(e["entry_id"] == entry_id for e in entries):
                raise

    async def flow_step(self, flow: dict, body: dict, options: bool = False) -> dict:
        kind = "options/flow" if options else "flow"
        return await self.post(f"/api/config/config_entries/{kind}/{flow['flow_id']}", body)

    async def issues(self, domain: str | None = None) -> list[dict]:
        result = await self.ws_command("repairs/list_issues")
        return [
            i
            for i in result["issues"]
            if (domain is None or i["domain"] == domain) and not i.get("dismissed_version")
        ]


# --- headless Chromium over the DevTools protocol ---------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Text of the page including every open shadow root (HA's frontend is web components all down).
DEEP_TEXT_JS = """
(() => {
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent); return; }
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) walk(child);
  };
  walk(document);
  return out.join(' ').replace(/\\s+/g, ' ');
})()
"""

# Elements by tag name through shadow roots.
DEEP_QUERY_JS = """
((selector) => {
  const found = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.matches(selector)) found.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return found;
})
"""


class CdpPage:
    """One page of a headless Chromium, driven over the DevTools protocol (a websocket)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session: aiohttp.ClientSession) -> None:
        self.ws, self.session = ws, session
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self.events: list[dict] = []
        self.console: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            if "id" in data:
                fut = self._pending.pop(data["id"], None)
                if fut is not None and not fut.done():
                    fut.set_result(data)
            else:
                self.events.append(data)
                if data.get("method") == "Runtime.consoleAPICalled":
                    args = data["params"].get("args", [])
                    self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in args))
                elif data.get("method") == "Runtime.exceptionThrown":
                    self.console.append(str(data["params"]["exceptionDetails"].get("text")))

    async def send(self, method: str, timeout: float = 30.0, **params: Any) -> dict:
        msg_id = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        await self.ws.send_json({"id": msg_id, "method": method, "params": params})
        answer = await asyncio.wait_for(fut, timeout)
        if "error" in answer:
            raise RuntimeError(f"CDP {method}: {answer['error']}")
        return answer.get("result", {})

    async def evaluate(self, expression: str, await_promise: bool = True) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=await_promise
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"JS error: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def text(self) -> str:
        return await self.evaluate(DEEP_TEXT_JS)

    async def deep_count(self, selector: str) -> int:
        return await self.evaluate(f"({DEEP_QUERY_JS})({json.dumps(selector)}).length")

    async def deep_eval(self, selector: str, fn: str) -> Any:
        """`fn` (a JS function of the list of matching elements, through shadow roots)."""
        return await self.evaluate(f"({fn})(({DEEP_QUERY_JS})({json.dumps(selector)}))")

    async def wait_text(self, *needles: str, timeout: float = 60.0) -> str:
        async def has() -> str | None:
            text = await self.text()
            return text if all(n in text for n in needles) else None

        return await until(f"page text {needles}", has, timeout, 0.5, lambda: self.console_log())

    def console_log(self) -> str:
        return "browser console:\n" + "\n".join(self.console[-30:])

    async def screenshot(self, path: Path) -> Path:
        data = await self.send("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))
        return path

    async def pointer(self, kind: str, x: float, y: float, buttons: int = 1) -> None:
        """One mouse event: kind is mousePressed, mouseReleased or mouseMoved."""
        params: dict[str, Any] = {"type": kind, "x": x, "y": y, "pointerType": "mouse"}
        if kind != "mouseMoved":
            params.update(button="left", clickCount=1)
        else:
            params.update(button="left" if buttons else "none", buttons=buttons)
        await self.send("Input.dispatchMouseEvent", **params)

    async def click(self, x: float, y: float) -> None:
        await self.pointer("mouseMoved", x, y, buttons=0)
        await self.pointer("mousePressed", x, y)
        await self.pointer("mouseReleased", x, y)

    async def drag(self, points: list[tuple[float, float]], step_delay: float = 0.02) -> None:
        """Press at the first point, move through the others, release at the last."""
        (x0, y0), rest = points[0], points[1:]
        await self.pointer("mouseMoved", x0, y0, buttons=0)
        await self.pointer("mousePressed", x0, y0)
        for x, y in rest:
            await self.pointer("mouseMoved", x, y, buttons=1)
            await asyncio.sleep(step_delay)
        await self.pointer("mouseReleased", *points[-1])

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)


class Browser:
    """Headless Chromium with a fresh profile; pages are logged in to HA through hassTokens."""

    def __init__(self, profile: Path, log: Path, size: tuple[int, int] = (1280, 900)) -> None:
        self.port = free_port()
        self.size = size
        self.process = Process(
            "chromium",
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                f"--user-data-dir={profile}",
                f"--remote-debugging-port={self.port}",
                "--remote-debugging-address=127.0.0.1",
                f"--window-size={size[0]},{size[1]}",
                "about:blank",
            ],
            log,
        )
        self.session: aiohttp.ClientSession | None = None
        self.pages: list[CdpPage] = []

    async def start(self) -> Browser:
        self.process.start()
        self.session = aiohttp.ClientSession()

        async def version() -> dict:
            async with self.session.get(f"http://127.0.0.1:{self.port}/json/version") as resp:
                return await resp.json()

        await until("chromium's DevTools endpoint", version, 30, 0.3, self.process.log)
        return self

    async def page(self, hass_client: HomeAssistantClient | None = None) -> CdpPage:
        """A new tab; with `hass_client`, HA's frontend finds its tokens as after a login."""
        assert self.session is not None
        async with self.session.put(f"http://127.0.0.1:{self.port}/json/new?about:blank") as resp:
            target = await resp.json()
        ws = await self.session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        page = CdpPage(ws, self.session)
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            width=self.size[0],
            height=self.size[1],
            deviceScaleFactor=1,
            mobile=False,
        )
        if hass_client is not None:
            # Before any script of every document: the frontend reads hassTokens at start-up.
            tokens = json.dumps(json.dumps(hass_client.frontend_tokens()))
            await page.send(
                "Page.addScriptToEvaluateOnNewDocument",
                source=(
                    f"if (location.origin === {json.dumps(hass_client.url)}) "
                    f"{{ localStorage.setItem('hassTokens', {tokens}); }}"
                ),
            )
        self.pages.append(page)
        return page

    async def close(self) -> None:
        for page in self.pages:
            await page.close()
        if self.session is not None:
            await self.session.close()
        self.process.stop(10)
