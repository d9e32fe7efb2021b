"""Fixtures of the real-Home-Assistant end-to-end suite: one installation for the session,
shared by every test of the suite. Run it as scripts/test.sh does:

    .venv-ha/bin/python -m pytest tests/e2e -p no:cacheprovider -p no:homeassistant

(`-p no:homeassistant`: HA's pytest plugin, installed in .venv-ha, patches sockets, time and the
event loop for in-process tests; here hass is a process of its own and the plugin is not wanted.)

- `stack`: the running installation (tests.e2e.stack.Stack): `stack.hass.url`, `stack.client`
  (authenticated REST + websocket), `stack.broker.port`, `stack.mqtt` (a collector of the camera's
  topics), `stack.cam`, `stack.device_id`, `stack.entities`, restart helpers.
- `browser`: headless Chromium; `await browser.page(stack.client)` is a CdpPage logged in to HA
  (navigate, evaluate, text, screenshot, click, drag, pointer).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncGenerator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.harness import Browser
from tests.e2e.stack import Stack, start_stack, stop_stack

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"


# The scene tests first (they need the steady state the stack starts in), the pages last (so the
# screenshots show the automations the others made); a new module runs after these.
MODULE_ORDER = ["test_person_detected", "test_blueprint", "test_frontend"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One event loop for the session: the stack's websocket and processes outlive single tests.
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.asyncio(loop_scope="session"), append=False)
            # pytest-timeout's 300 s (pyproject.toml) guards against a hang; here it also counts the
            # stack's start (a session fixture: the first test of a process pays for it), and every
            # step waits with a deadline of its own. In a make test run beside other suites a test
            # took 190 s and its setup 56 s more: 600 s unless the test says otherwise.
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(600))

    def rank(item: pytest.Item) -> int:
        name = Path(item.fspath).stem
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)

    items.sort(key=rank)  # stable: tests keep their order within a module

    # scripts/test.sh spreads the suite over three processes (`-n 3 --dist loadgroup`), each with a
    # stack of its own: a module stays in one process (its module fixtures are set up once), and
    # the three ordered modules stay together, in their order, on one stack.
    for item in items:
        name = Path(item.fspath).stem
        item.add_marker(pytest.mark.xdist_group("ordered" if name in MODULE_ORDER else name))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(
    tmp_path_factory: pytest.TempPathFactory, model_path: Path, media_dir: Path, artifacts: Path
) -> AsyncGenerator[Stack]:
    tmp = tmp_path_factory.mktemp("e2e")
    running = await start_stack(tmp, model_path, media_dir, artifacts)
    try:
        yield running
    finally:
        await stop_stack(running)
        # The processes' logs, for a failure seen in CI.
        logs = artifacts / "e2e-logs"
        worker = os.environ.get("PYTEST_XDIST_WORKER")  # one stack per process: gw0, gw1
        if worker:
            logs = logs / worker
        logs.mkdir(parents=True, exist_ok=True)
        for name in ("ha-config/hass.out", "listen_frame.log", "camera.log", "chromium.log"):
            if (tmp / name).is_file():
                shutil.copy(tmp / name, logs / Path(name).name)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(stack: Stack) -> AsyncGenerator[Browser]:
    chromium = await Browser(stack.tmp / "chromium-profile", stack.tmp / "chromium.log").start()
    try:
        yield chromium
    finally:
        await chromium.close()
