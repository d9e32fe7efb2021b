"""The hosted cameras' state in listen_frame's service stats (docs/mqtt.md, stats: `hosted`),
in-process: the payload builder (listen_frame/stats.py) on the errors the sources really raise,
and the retained service stats that carry it (listen_frame/cluster.py). The add-on walk in
tests/edge/test_hosted_cameras.py checks the same from real processes (a wrong password).
"""

from __future__ import annotations

import json
import logging
import urllib.error

import pytest

from edge_agent.camera.hosted import MAX_HOSTED, HostedCamera
from edge_agent.camera.sources.base import SourceError
from edge_agent.camera.sources.network import _http_error
from edge_agent.listen_frame.cameras import CameraRegistry
from edge_agent.listen_frame.cluster import Cluster, ClusterIdentity
from edge_agent.listen_frame.state import CameraState, InstanceState
from edge_agent.listen_frame.stats import (
    MAX_HOSTED_CAMERAS,
    MAX_HOSTED_ERROR,
    hosted_error,
    hosted_stats,
    parse_service_stats,
)
from edge_agent.mqtt.broker import redact_url
from edge_agent.mqtt.topics import Topics
from edge_agent.ratelimit import RateLimitedLog
from tests.support.inproc import RecordingPublisher

PASSWORD = "Zq8:p@ss/w%rd"
SOURCE = "rtsp://admin:Zq8%3Ap%40ss%2Fw%25rd@10.0.0.5:554/Streaming/Channels/102?token=t0ps3cret"


def _fatal(source: str, why: str) -> str:
    """What a camera's child sends when its source does not open (hosted.run_camera: Fatal)."""
    return redact_url(str(SourceError(f"source {redact_url(source)}: {why}")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The sources' own words (network.py), after their `source <url>: ` prefix.
        (
            _fatal(SOURCE, _http_error(urllib.error.HTTPError("u", 401, "Unauthorized", {}, None), 10)),  # type: ignore[arg-type]
            "the camera refused the login (HTTP 401): check the user and password in the URL",
        ),
        (
            _fatal(SOURCE, _http_error(urllib.error.URLError(ConnectionRefusedError()), 10)),
            "connection refused: check the host and port, and that the camera is on",
        ),
        # A stream that stopped: the child's last ERROR line (its restart reason otherwise).
        (
            f"source {redact_url(SOURCE)}: no frame for 20 s (the stream ended)",
            "no frame for 20 s (the stream ended)",
        ),
        ("exited with code -9", "exited with code -9"),
        # A URL anywhere else, even one that redaction leaves a user in: left out.
        (f"could not open {SOURCE} now", "could not open <url> now"),
        # A password outside a URL (what the log filter hides too), as written and decoded.
        (f"bad answer {PASSWORD} and Zq8%3Ap%40ss%2Fw%25rd", "bad answer *** and ***"),
        ("", None),
        (None, None),
    ],
)
def test_a_hosted_cameras_error_is_short_and_has_no_url_or_password(text, expected):
    secrets = HostedCamera(id="door", source=SOURCE).secrets()
    assert hosted_error(text, secrets) == expected


def test_a_long_error_is_cut_and_whitespace_folded():
    out = hosted_error("why:\n" + "x " * 500)
    assert out is not None and len(out) == MAX_HOSTED_ERROR and out.endswith("…") and "\n" not in out


def test_the_payload_per_camera_state_restarts_and_error_bounded():
    status = {
        "door": {  # as CameraHost.status() gives it: the source is there, redacted; never published
            "state": "failed",
            "restarts": 3,
            "error": None,
            "last_error": _fatal(SOURCE, "the camera refused the login (401 Unauthorized)"),
            "source": redact_url(SOURCE),
        },
        "yard": {"state": "running", "restarts": 0, "error": None, "last_error": None, "platform": "rtsp"},
        "odd": {"state": "exploded", "restarts": None},
    }
    out = hosted_stats(status, HostedCamera(id="door", source=SOURCE).secrets())
    assert out == {
        "door": {
            "state": "failed",
            "restarts": 3,
            "last_error": "the camera refused the login (401 Unauthorized)",
        },
        "odd": {"state": "starting", "restarts": 0, "last_error": None},
        "yard": {"state": "running", "restarts": 0, "last_error": None},
    }
    assert "://" not in json.dumps(out) and "admin" not in json.dumps(out)
    many = {f"cam{i:02d}": {"state": "running", "restarts": 0} for i in range(40)}
    assert MAX_HOSTED_CAMERAS == MAX_HOSTED and len(hosted_stats(many)) == MAX_HOSTED


def test_the_retained_service_stats_carry_the_hosted_cameras():
    topics = Topics("bobby")
    client = RecordingPublisher()
    state = InstanceState()
    registry: CameraRegistry[CameraState] = CameraRegistry(lambda cam: None, counters=state.counters)  # type: ignore[arg-type, return-value]
    cluster = Cluster(
        ClusterIdentity("addon", topics),
        client.publish,
        registry,
        state,
        RateLimitedLog(logging.getLogger("test"), interval=60.0),
    )
    hosted = hosted_stats({"door": {"state": "failed", "restarts": 1, "last_error": "exited with code 1"}})
    cluster.publish_stats(10.0, workers=1, worker_restarts=0, hosted=hosted)
    msg = client.last(topics.service_stats("listen_frame", "addon"))
    assert msg is not None and msg.retain and msg.qos == 1
    assert msg.json()["hosted"] == {
        "door": {"state": "failed", "restarts": 1, "last_error": "exited with code 1"}
    }
    # Without cameras of its own: an empty object (the same shape for every reader), and another
    # instance reads the message as before.
    cluster.publish_stats(10.0, workers=1, worker_restarts=0)
    msg = client.last(topics.service_stats("listen_frame", "addon"))
    assert msg.json()["hosted"] == {}
    assert parse_service_stats(msg.payload, lambda cam: True).counters == {}
