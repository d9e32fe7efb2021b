"""The one reader for untrusted JSON (edge_agent/untrusted.py), and every reader that uses it.

A 16 KiB `[[[[…` on `<base>/<cam>/stats` raised RecursionError out of listen_frame's handler,
which caught only ValueError (issue 19). Each reader of a payload that arrives over MQTT or HTTP
now refuses it, and every other hostile shape, with a ValueError (or None where "not one" is
the answer), never another exception. The running service is fuzzed on the same topics in
tests/reliability/test_fuzz_peers.py.
"""

from __future__ import annotations

import json

import pytest

from edge_agent.detect.rois import RoiError, parse_roi_set
from edge_agent.listen_frame.cameras import Announce
from edge_agent.listen_frame.ownership import parse_ack, parse_peer_detections
from edge_agent.listen_frame.stats import parse_camera_stats, parse_service_stats
from edge_agent.mqtt.messages import CommandError, Forget, SwitchState, claimed_version, parse_switch
from edge_agent.untrusted import MAX_DEPTH, UntrustedJSONError, read_json, read_object

DEEP_16K = b"[" * 16384  # the payload: not even closed
DEEP_CLOSED = b"[" * 8192 + b"]" * 8192


def nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (DEEP_16K, "nested too deeply"),
        (DEEP_CLOSED, "nested too deeply"),
        (nested(MAX_DEPTH + 1), "nested too deeply"),
        (b'{"a": ' * 200 + b"1" + b"}" * 200, "nested too deeply"),  # parses; deeper than allowed
        (b"x" * 2000, "2000 bytes is more than the 1024 allowed"),
        (b"{nope", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b'{"v": NaN}', "NaN is not a number JSON allows"),
        (b'{"v": -Infinity}', "-Infinity is not a number JSON allows"),
        (b'{"v": 1e999}', "1e999 is not a finite number"),
        (b'{"v": ' + b"9" * 40 + b"}", "has more than 32 digits"),
        (b'{"v": ' + b"9" * 900 + b"}", "has more than 32 digits"),
    ],
)
def test_hostile_json_is_refused_with_a_value_error_that_says_why(payload, why):
    with pytest.raises(UntrustedJSONError, match=why) as err:
        read_json(payload, max_bytes=1024 if len(payload) == 2000 else 64 * 1024)
    assert isinstance(err.value, ValueError)
    assert len(str(err.value)) < 160  # safe to log, whatever the payload


def test_what_is_within_bounds_reads_as_json_does():
    doc = {"camera": "yard", "objects": [{"box": [0.1, 0.2, 0.3, 0.4], "rois": ["door"]}], "n": -3}
    for payload in (json.dumps(doc).encode(), json.dumps(doc), bytearray(json.dumps(doc).encode())):
        assert read_json(payload, max_bytes=4096) == doc
    assert read_json(nested(MAX_DEPTH), max_bytes=4096) is not None  # exactly the limit
    assert read_json(b"[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]", max_bytes=99)
    assert read_json(b'"[[[[[[[[[[[[[[[[[[[[[[[[[["', max_bytes=99) == "[" * 26  # brackets in a string
    with pytest.raises(UntrustedJSONError, match="not a JSON object"):
        read_object(b"[]", max_bytes=99)


# Every reader of edge_agent that takes a payload from MQTT or HTTP, and the payload.
RAISING = {
    "<cam>/stats": lambda p: parse_camera_stats(p),
    "listen_frame/<instance>/stats": lambda p: parse_service_stats(p, lambda cam: True),
    "<cam>/announce": lambda p: Announce.parse("yard", p),
    "<cam>/detections": lambda p: parse_peer_detections("yard", p),
    "<cam>/rois": lambda p: parse_roi_set(p),
    "<cam>/forget": lambda p: Forget.parse(p),
}
NONE_WHEN_BAD = {
    "<cam>/rois/applied/<instance>": parse_ack,
    "<cam>/detection/state": SwitchState.from_retained,
    "the version a refused set claims": claimed_version,
}


@pytest.mark.parametrize("payload", [DEEP_16K, DEEP_CLOSED, b'{"a": ' * 300 + b"1" + b"}" * 300])
@pytest.mark.parametrize("reader", sorted(RAISING))
def test_each_reader_refuses_deep_nesting_with_a_value_error(reader, payload):
    with pytest.raises(ValueError, match="nested too deeply|bytes"):
        RAISING[reader](payload)


@pytest.mark.parametrize("payload", [DEEP_16K, DEEP_CLOSED, b"[" * 900 + b"]" * 900])
@pytest.mark.parametrize("reader", sorted(NONE_WHEN_BAD))
def test_each_lenient_reader_says_none_to_deep_nesting(reader, payload):
    assert NONE_WHEN_BAD[reader](payload) is None


def test_switch_commands_and_roi_sets_keep_their_own_errors():
    with pytest.raises(CommandError, match="invalid JSON: nested too deeply"):
        parse_switch(b'{"state": ' + b"[" * 400 + b"]" * 400 + b"}")
    with pytest.raises(RoiError, match="nested too deeply"):
        parse_roi_set(b'{"version": 1, "rois": ' + nested(40) + b"}")
    with pytest.raises(RoiError, match="1e999 is not a finite number"):
        parse_roi_set(b'{"version": 1e999}')


def test_peer_stats_within_bounds_are_still_read():
    stats = {"service": "listen_frame/b", "frames_in": 5, "analysed": 4, "errors": {"decode": 1}}
    assert parse_camera_stats(json.dumps(stats).encode()) == (
        "listen_frame/b",
        {"frames_in": 5, "analysed": 4, "error_decode": 1},
    )


def test_bobby_edge_watch_shows_a_hostile_detections_message_raw():
    import io

    import paho.mqtt.client as mqtt

    from edge_agent.mqtt.topics import Topics
    from edge_agent.tools.watch import Watcher

    out = io.StringIO()
    watcher = Watcher(Topics("bobby"), "+", raw=False, out=out)
    for payload in (DEEP_16K, b'{"a": ' * 300 + b"1" + b"}" * 300, b'{"objects": [1]}', b"{nope"):
        msg = mqtt.MQTTMessage(topic=b"bobby/yard/detections")
        msg.payload = payload
        watcher.on_message(msg)  # raised RecursionError (and KeyError) out of the handler before
    lines = out.getvalue().splitlines()
    assert len(lines) == 4 and all("yard: detections b" in line for line in lines)
    ok = mqtt.MQTTMessage(topic=b"bobby/yard/detections")
    ok.payload = b'{"persons": 1, "objects": [{"label": "person", "score": 0.9}], "inference_ms": 12.0}'
    watcher.on_message(ok)
    assert "yard: 1 person(s): person 0.90" in out.getvalue().splitlines()[-1]
