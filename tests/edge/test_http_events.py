"""A visit's files over the camera's HTTP server (docs/mqtt.md, events; docs/camera.md): the token,
Range requests, content types, refused paths (traversal, symlinks out of the folder, unknown ids),
a clip still being written, and the limit of files sent at once. A real aiohttp server on
loopback; the files are written here (the recorder's own are played in test_smart_events.py)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import time

import pytest

from edge_agent.camera.http import FrameHub, HttpSettings, LiveServer
from tests.support.mosquitto import free_port

ID = "20261202T173012Z-3fa9c1d27b40"
OTHER = "20261202T180000Z-0123456789ab"
CLIP = bytes(range(256)) * 40  # 10240 bytes, each offset's value known
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def server(tmp_path):
    folder = tmp_path / "events" / "garden"
    folder.mkdir(parents=True)
    (folder / f"{ID}.mp4").write_bytes(CLIP)
    (folder / f"{ID}.jpg").write_bytes(b"\xff\xd8drawn\xff\xd9")
    (folder / f"{ID}-clean.jpg").write_bytes(b"\xff\xd8clean\xff\xd9")
    srv = LiveServer(
        HttpSettings(free_port(), token=TOKEN),
        FrameHub(),
        "garden",
        "Garden",
        status=dict,
        streaming=lambda: True,
        events_dir=folder,
    )
    srv.start()
    srv.folder = folder
    yield srv
    srv.stop()


def request(srv, path: str, headers: dict | None = None, method: str = "GET"):
    """(status, body, headers) of a request sent exactly as written (no client normalises it)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()


def test_token_refused_and_accepted_with_content_types(server):
    for name in (f"{ID}.mp4", f"{ID}.jpg", f"{ID}-clean.jpg"):
        status, body, _ = request(server, f"/events/{name}")
        assert (status, body) == (401, b"authentication required\n"), name
        assert request(server, f"/events/{name}", {"Authorization": "Bearer wrong"})[0] == 401
    status, body, h = request(server, f"/events/{ID}.mp4", AUTH)
    assert (status, body) == (200, CLIP)
    assert h["content-type"] == "video/mp4" and h["accept-ranges"] == "bytes"
    assert h["x-content-type-options"] == "nosniff" and h["cache-control"] == "private, no-cache"
    status, body, h = request(server, f"/events/{ID}.jpg?token={TOKEN}")
    assert (status, body, h["content-type"]) == (200, b"\xff\xd8drawn\xff\xd9", "image/jpeg")
    status, body, h = request(server, f"/events/{ID}-clean.jpg", AUTH)
    assert (status, body, h["content-type"]) == (200, b"\xff\xd8clean\xff\xd9", "image/jpeg")
    # HEAD: the size, no body (what a player asks first).
    status, body, h = request(server, f"/events/{ID}.mp4", AUTH, method="HEAD")
    assert (status, body, h["content-length"]) == (200, b"", str(len(CLIP)))


def test_range_requests(server):
    url = f"/events/{ID}.mp4"
    status, body, h = request(server, url, {**AUTH, "Range": "bytes=1000-1999"})
    assert status == 206 and body == CLIP[1000:2000]
    assert h["content-range"] == f"bytes 1000-1999/{len(CLIP)}" and h["content-length"] == "1000"
    status, body, h = request(server, url, {**AUTH, "Range": "bytes=10000-"})  # to the end
    assert status == 206 and body == CLIP[10000:] and h["content-range"] == f"bytes 10000-10239/{len(CLIP)}"
    status, body, _ = request(server, url, {**AUTH, "Range": "bytes=-40"})  # the last 40 bytes
    assert status == 206 and body == CLIP[-40:]
    status, _, h = request(server, url, {**AUTH, "Range": "bytes=20000-20010"})  # outside the file
    assert status == 416 and h["content-range"] == f"bytes */{len(CLIP)}"
    # A revalidation (the snapshot improved in place or not): 304 with the same ETag.
    etag = request(server, url, AUTH)[2]["etag"]
    assert request(server, url, {**AUTH, "If-None-Match": etag})[0] == 304


def test_paths_outside_the_folder_and_unknown_ids_are_refused(server, tmp_path):
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"not yours")
    (tmp_path / "events" / "garden" / f"{OTHER}.jpg").symlink_to(secret)  # a link out of the folder
    (tmp_path / "events" / "garden" / f"{OTHER}.mp4").mkdir()  # not a regular file
    (tmp_path / "events" / "garden" / "notes.txt").write_text("x")
    for path in (
        f"/events/{OTHER}.jpg",
        f"/events/{OTHER}.mp4",
        "/events/20261202T175959Z-ffffffffffff.mp4",  # a valid id that does not exist
        f"/events/{ID.upper()}.mp4",
        f"/events/{ID}.mp4.part",
        f"/events/{ID}.jpeg",
        f"/events/{ID}",
        "/events/notes.txt",
        "/events/..%2F..%2Fsecret.jpg",
        "/events/%2e%2e%2fsecret.jpg",
        "/events/..%2fgarden%2f" + ID + ".jpg",
        "/events/../../secret.jpg",
        f"/events/{ID}.jpg/../../secret.jpg",
        f"/events/{ID}.jpg%00.txt",
        f"/events/%20{ID}.jpg",
    ):
        status, body, _ = request(server, path, AUTH)
        assert status == 404 and b"not yours" not in body, (path, status, body)
    # The symlink and the directory; the rest never named a file. Counted, and shown in status.json.
    assert server.events.counters["refused_path"] == 2
    status = json.loads(request(server, "/status.json", AUTH)[1])
    # 13 of the 15 others reached the handler: aiohttp folds the two with a literal `/../` into a
    # path outside /events/, which no route serves.
    assert status["event_files"]["refused_path"] == 2 and status["event_files"]["not_found"] == 13


def test_a_clip_still_being_written_gets_409_with_the_reason(server):
    (server.folder / f"{OTHER}.mp4.part").write_bytes(b"growing")
    (server.folder / f"{OTHER}.jpg").write_bytes(b"\xff\xd8snap\xff\xd9")
    status, body, h = request(server, f"/events/{OTHER}.mp4", AUTH)
    assert status == 409 and b"still being written" in body and h["retry-after"] == "5"
    assert request(server, f"/events/{OTHER}.jpg", AUTH)[0] == 200  # its snapshot is there already
    (server.folder / f"{OTHER}.mp4.part").rename(server.folder / f"{OTHER}.mp4")  # closed
    assert request(server, f"/events/{OTHER}.mp4", AUTH)[:2] == (200, b"growing")


def test_a_visit_still_recording_gets_409_before_its_first_frame_is_on_disk(server):
    recording = {OTHER}
    server.events.recording = lambda visit_id: visit_id in recording  # the camera's visits say so
    status, body, h = request(server, f"/events/{OTHER}.mp4", AUTH)
    assert status == 409 and b"still being written" in body and h["retry-after"] == "5"
    assert request(server, f"/events/{OTHER}.jpg", AUTH)[0] == 404  # only the clip is "to come"
    recording.clear()  # its end: failed, nothing written
    assert request(server, f"/events/{OTHER}.mp4", AUTH)[0] == 404


def test_at_most_max_streams_files_are_sent_at_once(server):
    server.events.max_streams = 1
    big = server.folder / f"{OTHER}.mp4"
    with big.open("wb") as f:
        f.truncate(256 * 1024 * 1024)  # sparse: more than any socket buffer holds
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", server.port))
    slow.sendall(
        f"GET /events/{OTHER}.mp4 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()
    )
    try:
        deadline = time.monotonic() + 15
        while server.events.streams < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.events.streams == 1 and slow.recv(64).startswith(b"HTTP/1.1 200")
        status, body, h = request(server, f"/events/{ID}.jpg", AUTH)
        assert status == 503 and h["retry-after"] == "2" and b"too many" in body
    finally:
        slow.close()  # the slow reader goes away: its slot is given back
    deadline = time.monotonic() + 15
    while server.events.streams and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.events.streams == 0
    assert request(server, f"/events/{ID}.jpg", AUTH)[0] == 200
    assert server.events.counters["busy"] == 1
    os.unlink(big)


def test_no_event_folder_no_routes(tmp_path):
    srv = LiveServer(HttpSettings(free_port()), FrameHub(), "garden", "Garden", dict, lambda: True)
    srv.start()
    try:
        assert request(srv, f"/events/{ID}.mp4")[0] == 404
    finally:
        srv.stop()
