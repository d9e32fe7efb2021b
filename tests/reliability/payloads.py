"""Hostile payloads for listen_frame's topics: frames, ROI sets, detection commands and announces.

Hypothesis generates the JSON ones (ROI sets, commands, announces: wrong types, NaN and Infinity,
huge numbers, odd nesting), reproducibly (fixed seeds); frames are flat bytes, mutated from a
real JPEG and a tiny one with a seeded random (truncation, flipped bytes, declared sizes up to
65535x65535), which costs far less per payload than hypothesis' engine on a loaded 2-core CI
machine. The large shapes that need no search (5,000 regions, 100,000 nesting levels, megabyte
strings, 100,000-digit numbers, payloads around and over the size limit) are built a bounded
number of times, so the run stays short. The test then publishes everything as fast as it can.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import cv2
import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

MiB = 1024 * 1024


@dataclass(frozen=True)
class Payload:
    kind: str  # frame, rois, command, announce
    shape: str  # what it is (for the figures)
    body: bytes
    cam: int = 0  # index of the target camera (the test maps it to an id)
    retain: bool = False
    captured_at: str | None = None  # a frame's `captured_at` user property, when it has one


# ---- JPEG surgery --------------------------------------------------------------------------

SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def sof_offset(jpeg: bytes) -> int:
    """Offset of the frame header (SOFn marker), where the image's declared size is."""
    i = 2
    while i + 4 <= len(jpeg) and jpeg[i] == 0xFF:
        marker = jpeg[i + 1]
        if marker in SOF_MARKERS:
            return i
        i += 2 + int.from_bytes(jpeg[i + 2 : i + 4], "big")
    raise ValueError("no SOF marker")


def declare_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The same JPEG whose header claims width x height (libjpeg fills what the data lacks)."""
    at = sof_offset(jpeg)
    out = bytearray(jpeg)
    out[at + 5 : at + 7] = height.to_bytes(2, "big")
    out[at + 7 : at + 9] = width.to_bytes(2, "big")
    return bytes(out)


def tiny_jpeg() -> bytes:
    """A 16x16 JPEG of a few hundred bytes (the issue's 631-byte 16000x16000 frame is one of these)."""
    img = np.zeros((16, 16, 3), np.uint8)
    img[4:12, 4:12] = (40, 180, 90)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 60])
    assert ok
    return buf.tobytes()


def corrupt(jpeg: bytes, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(jpeg)
    for at, value in flips:
        out[at % len(out)] = value
    return bytes(out)


# ---- strategies ----------------------------------------------------------------------------

CAMS = 8  # fuzz cameras (announced); index CAMS means "an id that never announced"

any_float = st.floats(allow_nan=True, allow_infinity=True)
odd_numbers = st.one_of(
    any_float,
    st.integers(),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308, -0.0, 2**63, -(2**63) - 1]),
)
json_scalars = st.one_of(st.none(), st.booleans(), odd_numbers, st.text(max_size=40))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=12,
)


def dumps(obj) -> bytes:
    """Python's json writes NaN and Infinity literals, as a careless or hostile client would."""
    return json.dumps(obj).encode()


def huge_number(digits: int) -> str:
    return "9" * digits  # json.dumps refuses ints over 4300 digits: written as text


points = st.lists(st.lists(odd_numbers, min_size=0, max_size=3), max_size=8)
unit = st.floats(0, 1)
square_points = st.just([[0, 0], [1, 0], [1, 1], [0, 1]])
bowtie = st.tuples(unit, unit, unit, unit).map(lambda v: [[v[0], v[1]], [1, 1], [1, 0], [v[2] * 0.2, 1]])
region = st.fixed_dictionaries(
    {"id": st.one_of(st.text(max_size=40), st.integers(), st.none(), st.just("door"))},
    optional={
        "name": json_values,
        "points": st.one_of(points, square_points, bowtie, json_values),
        "labels": st.one_of(st.lists(st.text(max_size=10), max_size=4), json_values),
        "min_score": odd_numbers,
    },
)
detection_settings = st.dictionaries(
    st.sampled_from(
        ["labels", "threshold", "min_area", "max_area", "frames_needed", "frames_window", "clear_after", "x"]
    ),
    json_values,
    max_size=8,
)
roi_sets = st.one_of(
    json_values.map(lambda v: ("json", dumps(v))),
    st.fixed_dictionaries(
        {"version": st.one_of(odd_numbers, json_values)},
        optional={
            "rois": st.one_of(st.lists(region, max_size=4), json_values),
            "detection": detection_settings,
        },
    ).map(lambda v: ("wrong types", dumps(v))),
    st.tuples(st.integers(1, 10**6), bowtie).map(
        lambda v: ("self-intersecting", dumps({"version": v[0], "rois": [{"id": "x", "points": v[1]}]}))
    ),
    st.binary(max_size=300).map(lambda b: ("bytes", b)),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999"]).map(
        lambda c: ("NaN version", f'{{"version": {c}, "rois": []}}'.encode())
    ),
)


def big_roi_sets() -> list[tuple[str, bytes]]:
    """The large shapes, a few of each (sizes from the issue)."""
    square = [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]
    circle = [[0.5 + 0.4 * np.cos(a), 0.5 + 0.4 * np.sin(a)] for a in np.linspace(0, 6.28, 5000)]
    out = []
    for v in (2, 3):
        rois = [{"id": f"r{i}", "points": square} for i in range(5000)]
        out.append(("5000 regions", dumps({"version": v, "rois": rois})))
        out.append(("5000 points", dumps({"version": v, "rois": [{"id": "round", "points": circle}]})))
        out.append(("5000-digit version", f'{{"version": {huge_number(5000)}, "rois": []}}'.encode()))
        out.append(("100000-digit version", f'{{"version": {huge_number(100_000)}, "rois": []}}'.encode()))
        out.append(("nesting 100000", b'{"version": 1, "rois": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))
        out.append(
            ("nesting 1000", b'{"version": 1, "rois": [' + b'{"a":' * 1000 + b"1" + b"}" * 1000 + b"]}")
        )
        name = "n" * MiB
        out.append(
            ("1 MiB string", dumps({"version": v, "rois": [{"id": "a", "name": name, "points": square}]}))
        )
        out.append(("1 MiB id", dumps({"version": v, "rois": [{"id": name, "points": square}]})))
    return out


commands = st.one_of(
    st.binary(max_size=200).map(lambda b: ("bytes", b)),
    st.sampled_from([b"on", b" OFF ", b"ON\x00", b"MAYBE", b"", b"\xff\xfe", b"{", b"[]", b"null"]).map(
        lambda b: ("words", b)
    ),
    st.fixed_dictionaries(
        {"state": json_values}, optional={"request_id": st.one_of(json_values, st.text(min_size=60))}
    ).map(lambda v: ("wrong types", dumps(v))),
    json_values.map(lambda v: ("json", dumps(v))),
)


def big_commands() -> list[tuple[str, bytes]]:
    return [
        ("nesting 100000", b'{"state": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("1 MiB request id", dumps({"state": "ON", "request_id": "r" * MiB})),
        ("NaN request id", b'{"state": "ON", "request_id": NaN}'),
        ("5000-digit state", f'{{"state": {huge_number(5000)}}}'.encode()),
    ]


announces = st.one_of(
    st.binary(max_size=200).map(lambda b: ("bytes", b)),
    json_values.map(lambda v: ("json", dumps(v))),
    st.fixed_dictionaries(
        {"mode": st.one_of(st.sampled_from(["dumb", "smart", "SMART", "", "x"]), json_values)},
        optional={
            "name": json_values,
            "sw_version": json_values,
            "stream_url": json_values,
            "id": json_values,
        },
    ).map(lambda v: ("mode flip", dumps(v))),
)


def big_announces() -> list[tuple[str, bytes]]:
    return [
        ("1 MiB name", dumps({"mode": "dumb", "name": "N" * MiB})),
        ("64 KiB name", dumps({"mode": "dumb", "name": "N" * 65536})),
        ("nesting 100000", b'{"mode": "dumb", "name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("NaN fps", b'{"mode": "dumb", "fps": NaN, "resolution": [Infinity, -Infinity]}'),
    ]


def fuzz_frame(rng: random.Random, real: bytes, tiny: bytes) -> tuple[str, bytes, str | None]:
    """One bad (or good) frame, by classic mutation: cheaper than hypothesis for flat bytes."""
    base = rng.choice((real, tiny))
    kind = rng.randrange(8)
    if kind == 0:
        shape, body = "random bytes", rng.randbytes(rng.randrange(4097))
    elif kind == 1:
        shape, body = "empty", b""
    elif kind == 2:
        shape, body = "truncated", base[: rng.randrange(len(base))]
    elif kind == 3:
        flips = [(rng.randrange(2, len(base)), rng.randrange(256)) for _ in range(rng.randint(1, 24))]
        shape, body = "corrupt", corrupt(base, flips)
    elif kind == 4:
        w, h = (rng.choice((16000, rng.randrange(65536))) for _ in range(2))
        shape, body = "declares WxH", declare_size(base, w, h)
    elif kind == 5:
        shape, body = "16000x16000 header", declare_size(tiny, 16000, 16000)
    elif kind == 6:
        shape, body = "SOI + garbage", b"\xff\xd8" + rng.randbytes(rng.randrange(2049))
    else:
        shape, body = "good", real
    captured = rng.choice(
        (
            None,
            None,
            "nan",
            "NaN",
            "inf",
            "-inf",
            "1e309",
            "abc",
            "",
            "9" * 400,
            repr(rng.uniform(-1e9, 1e12)),
        )
    )
    return shape, body, captured


def big_frames(real: bytes, max_payload: int) -> list[tuple[str, bytes]]:
    pad = bytes(range(256)) * (4 * MiB // 256)
    out = []
    for size in (max_payload - 1, max_payload + 1, 3 * MiB, 4 * MiB):
        out.append((f"{size} bytes", (real + pad)[:size]))
    return out * 3


# ---- generation ------------------------------------------------------------------------------


ROUND = 400  # examples per hypothesis run: its cost per example grows with the run's length


def draw(strategy: st.SearchStrategy, count: int) -> list:
    """`count` examples of `strategy`, reproducible (fixed seeds), no shrinking (nothing fails here)."""
    out: list = []
    round_ = 0
    while len(out) < count:

        @seed(1000 + round_)
        @settings(
            max_examples=min(ROUND, count - len(out)),
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def collect(example) -> None:
            out.append(example)

        collect()
        round_ += 1
    return out[:count]


def fuzz_payloads(real: bytes, total: int, max_payload: int, rng: random.Random) -> list[Payload]:
    """`total` payloads: half frames, a quarter ROI sets, the rest commands and announces, each
    aimed at one of the CAMS fuzz cameras (announces also at index CAMS: new ids)."""
    pick = rng.randrange
    big = (
        [("frame", s, b) for s, b in big_frames(real, max_payload)]
        + [("rois", s, b) for s, b in big_roi_sets()]
        + [("command", s, b) for s, b in big_commands()]
        + [("announce", s, b) for s, b in big_announces()]
    )
    n_frames, n_rois = total // 2, total // 4
    n_commands = (total - n_frames - n_rois) // 2
    n_announces = total - n_frames - n_rois - n_commands
    counts = {k: sum(1 for b in big if b[0] == k) for k in ("frame", "rois", "command", "announce")}
    out = [Payload(kind, shape, body, pick(CAMS), retain=kind == "rois") for kind, shape, body in big]
    tiny = tiny_jpeg()
    for _ in range(n_frames - counts["frame"]):
        shape, body, captured = fuzz_frame(rng, real, tiny)
        out.append(Payload("frame", shape, body, rng.randrange(CAMS), captured_at=captured))
    for shape, body in draw(roi_sets, n_rois - counts["rois"]):
        out.append(Payload("rois", shape, body, pick(CAMS), retain=pick(2) == 0))
    for shape, body in draw(commands, n_commands - counts["command"]):
        out.append(Payload("command", shape, body, pick(CAMS)))
    for shape, body in draw(announces, n_announces - counts["announce"]):
        # some to cameras that never announced: they must not become cameras by a bad announce
        out.append(Payload("announce", shape, body, pick(CAMS + 1), retain=True))
    assert len(out) == total, len(out)
    return out


# ---- the other instances' topics (listen_frame's peers) ----------------------------------------
#
# What several listen_frame instances say to each other (docs/listen_frame.md, "Several
# instances") arrives on topics anyone on the broker can publish to: `<base>/<cam>/stats`,
# `<base>/<cam>/detections`, `<base>/<cam>/rois/applied/<instance>` and
# `<base>/listen_frame/<instance>/stats` / `availability`. A 16 KiB `[[[[…` on `<cam>/stats`
# raised RecursionError out of the handler (issue 19): it is the first of the big shapes.

PEER_KINDS = ("camera stats", "detections", "ack", "instance stats", "instance availability")
deep_16k = b"[" * 16384

counter_values = st.one_of(st.integers(-5, 2**60), odd_numbers, json_values)
camera_stats = st.fixed_dictionaries(
    {},
    optional={
        "service": st.one_of(st.sampled_from(["listen_frame/peer", "camera/x"]), json_values),
        "frames_in": counter_values,
        "analysed": counter_values,
        "dropped": counter_values,
        "errors": st.one_of(st.dictionaries(st.text(max_size=40), counter_values, max_size=20), json_values),
    },
)
detections = st.fixed_dictionaries(
    {"camera": st.one_of(st.just("CAM"), json_values)},
    optional={
        "service": st.one_of(
            st.sampled_from(["listen_frame/peer", "listen_frame/", "listen_frame/A B"]), json_values
        ),
        "rois_version": st.one_of(st.integers(-2, 3), json_values),
        "objects": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"label": json_values, "score": odd_numbers, "box": st.one_of(points, json_values)}
                ),
                max_size=4,
            ),
            json_values,
        ),
        "received_at": odd_numbers,
        "analysed_at": odd_numbers,
        "inference_ms": odd_numbers,
    },
)
acks = st.fixed_dictionaries(
    {},
    optional={
        "version": st.one_of(st.integers(-1, 10**6), json_values),
        "ok": st.one_of(st.booleans(), json_values),
        "active_version": st.one_of(st.integers(), json_values),
        "error": json_values,
    },
)
instance_stats = st.fixed_dictionaries(
    {},
    optional={
        "run": json_values,
        "per_camera": st.one_of(
            st.dictionaries(
                st.one_of(st.just("CAM"), st.text(max_size=20)),
                st.fixed_dictionaries({}, optional={"counters": counter_values, "totals": counter_values}),
                max_size=6,
            ),
            json_values,
        ),
    },
)
peer_bodies = {
    "camera stats": camera_stats,
    "detections": detections,
    "ack": acks,
    "instance stats": instance_stats,
}


def big_peer_payloads() -> list[tuple[str, str, bytes]]:
    """(kind, shape, body): the issue's payload and the other large shapes, on every peer topic."""
    out = []
    for kind in PEER_KINDS:
        out += [
            (kind, "16 KiB [[[[", deep_16k),
            (kind, "nesting 100000", b"[" * 100_000 + b"]" * 100_000),
            (kind, "object nesting 900", b'{"a":' * 900 + b"1" + b"}" * 900),
            (kind, "5000-digit number", f'{{"frames_in": {huge_number(5000)}}}'.encode()),
            (kind, "NaN", b'{"frames_in": NaN, "version": NaN, "ok": true, "active_version": Infinity}'),
            (kind, "300 KiB", b'{"run": "' + b"r" * 300 * 1024 + b'"}'),
            (kind, "not UTF-8", b"\xff\xfe{\x00"),
        ]
    return out


def peer_payloads(total: int, rng: random.Random) -> list[Payload]:
    """`total` payloads on the peer topics (`Payload.kind` is one of PEER_KINDS, `cam` an index);
    JSON ones name their camera `"CAM"` where the real messages do: the test puts the topic's
    camera there, so that they pass the first checks."""
    big = big_peer_payloads()
    out = [Payload(kind, shape, body, rng.randrange(CAMS)) for kind, shape, body in big]
    each = (total - len(out)) * 8 // 10 // len(peer_bodies)  # the rest: raw bytes, availability
    for kind, strategy in peer_bodies.items():
        for value in draw(strategy, each):
            out.append(Payload(kind, "json", dumps(value), rng.randrange(CAMS), retain=rng.randrange(4) == 0))
    words = [b"online", b"offline", b"ONLINE", b"", b"\x00", b"online\n", b"{}", deep_16k]
    while len(out) < total:
        kind = rng.choice(("instance availability", "camera stats", "detections", "ack"))
        body = rng.choice(words) if kind == "instance availability" else rng.randbytes(rng.randrange(300))
        out.append(Payload(kind, "bytes", body, rng.randrange(CAMS)))
    rng.shuffle(out)
    return out
