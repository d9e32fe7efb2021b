"""Live-view authentication: a token (header or query) or HTTP basic auth, on a real aiohttp server."""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request

import pytest

from edge_agent.camera.http import FrameHub, HttpSettings, LiveServer
from tests.support.mosquitto import free_port

JPEG = b"\xff\xd8fake-jpeg\xff\xd9"


@pytest.fixture
def serve():
    servers = []

    def start(**auth) -> str:
        hub = FrameHub()
        server = LiveServer(
            HttpSettings(free_port(), **auth),
            hub,
            "garden",
            "Garden",
            status=lambda: {},
            streaming=lambda: True,
        )
        server.start()
        servers.append(server)
        hub.put(JPEG, 0.0)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in servers:
        server.stop()


def get(url: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_token_as_bearer_header_as_home_assistant_sends_it(serve):
    url = serve(token="s3cret-token") + "/snapshot.jpg"
    # custom_components/bobby_camera/camera.py proxies the stream with this header.
    assert get(url, {"Authorization": "Bearer s3cret-token"})[:2] == (200, JPEG)
    assert get(url + "?token=s3cret-token")[:2] == (200, JPEG)
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "s3cret-token"},
        basic("x", "s3cret-token"),
    ):
        status, _, h = get(url, headers)
        assert status == 401 and "WWW-Authenticate" not in h, headers
    assert get(url + "?token=wrong")[0] == 401


def test_basic_auth(serve):
    url = serve(username="viewer", password="pä55:word") + "/snapshot.jpg"
    assert get(url, basic("viewer", "pä55:word"))[:2] == (200, JPEG)  # a colon in the password is kept
    for headers in (
        {},
        basic("viewer", "wrong"),
        basic("other", "pä55:word"),
        {"Authorization": "Basic !!notbase64"},
    ):
        status, _, h = get(url, headers)
        assert status == 401 and h["WWW-Authenticate"] == 'Basic realm="bobby"', headers
    assert get(url + "?token=" + urllib.parse.quote("pä55:word"))[0] == 401  # a password is no token


def test_token_or_basic_auth_when_both_are_set(serve):
    url = serve(token="s3cret-token", username="viewer", password="pw") + "/status.json"
    assert get(url, {"Authorization": "Bearer s3cret-token"})[0] == 200
    assert get(url, basic("viewer", "pw"))[0] == 200
    assert get(url)[0] == 401


def test_no_authentication_configured(serve):
    assert get(serve() + "/snapshot.jpg")[:2] == (200, JPEG)
