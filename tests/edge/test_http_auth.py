"""Live-view authentication: a token (header or query) or HTTP basic auth, on a real aiohttp server;
nothing done for a stranger, and nothing a viewer sends is written into the page as markup."""

from __future__ import annotations

import base64
import html.parser
import json
import re
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

    def start(name: str = "Garden", calls: list | None = None, **auth) -> str:
        hub = FrameHub()
        calls = [] if calls is None else calls
        server = LiveServer(
            HttpSettings(free_port(), **auth),
            hub,
            "garden",
            name,
            status=lambda: calls.append("status") or {},
            streaming=lambda: calls.append("streaming") or True,
        )
        server.start()
        servers.append(server)
        hub.put(JPEG, 0.0)
        return f"http://127.0.0.1:{server.port}"

    start.servers = servers
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


# --- what reaches the page ---------------------------------------------------------------------

EVIL = """x"'></script><script>alert(1)</script><img src=x onerror=alert(2)>&amp;\u2028<!--"""


class Page(html.parser.HTMLParser):
    """The elements and script texts of a page, as a browser's tokenizer sees them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def check_inert(text: str, token: str) -> None:
    page = Page(text)
    assert [t for t, _ in page.tags].count("script") == 1  # ours, nothing injected
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)  # no event handler
    assert "alert(" not in text.replace(urllib.parse.quote(EVIL, safe=""), "")  # only ever encoded
    img = next(attrs for tag, attrs in page.tags if tag == "img")
    assert img["src"] == "video?token=" + urllib.parse.quote(token, safe="")  # round-trips to the server
    query = re.search(r"const query = (.*?);\n", page.scripts[0]).group(1)
    assert "<" not in query and json.loads(query) == "?token=" + urllib.parse.quote(token, safe="")


def test_a_reflected_token_is_rendered_inert(serve):
    # No authentication configured: whatever ?token= says is only ever reflected, encoded.
    base = serve()
    status, body, headers = get(base + "/?token=" + urllib.parse.quote(EVIL))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    check_inert(body.decode(), EVIL)
    assert headers["Referrer-Policy"] == "no-referrer" and headers["X-Content-Type-Options"] == "nosniff"


def test_a_token_with_markup_in_it_works_and_is_rendered_inert(serve):
    # The user's own token may hold any character: the page must still work and stay inert.
    token = "tok-" + EVIL
    base = serve(token=token)
    status, body, _ = get(base + "/?token=" + urllib.parse.quote(token))
    assert status == 200
    check_inert(body.decode(), token)
    img_src = next(a for t, a in Page(body.decode()).tags if t == "img")["src"]
    assert get(base + "/" + img_src.replace("video", "snapshot.jpg"))[:2] == (200, JPEG)


def test_the_camera_name_is_escaped(serve):
    base = serve(name='Gate <script>alert("x")</script> & "yard"')
    page = Page(get(base + "/")[1].decode())
    assert [t for t, _ in page.tags].count("script") == 1
    body = get(base + "/")[1].decode()
    assert "<h1>Gate &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;yard&quot;</h1>" in body


def test_unauthenticated_requests_get_401_and_nothing_is_built(serve):
    calls = []
    base = serve(token="s3cret-token", calls=calls)
    server = serve.servers[-1]
    for path in ("/", "/?token=wrong", "/status.json", "/video", "/snapshot.jpg", "/nothing-here"):
        status, body, headers = get(base + path)
        assert (status, body) == (401, b"authentication required\n"), path
        assert headers["Referrer-Policy"] == "no-referrer"
    # No handler ran: no page built, the camera's status not asked, no stream started.
    assert server.pages_built == 0 and calls == [] and server.frames_served == 0
    assert server.refused == 6
    assert get(base + "/?token=s3cret-token")[0] == 200 and server.pages_built == 1
    assert get(base + "/status.json", {"Authorization": "Bearer s3cret-token"})[0] == 200
    assert calls == ["status"]
