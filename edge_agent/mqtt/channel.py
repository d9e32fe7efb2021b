"""What the two detection services (listen_frame and the smart camera) do the same way.

- switch commands (`…/set`: `ON` / `OFF` or JSON with a request id) and their parsing;
- the `detections` message of an analysed frame;
- ROI acknowledgements on `…/rois/applied`;
- Home Assistant discovery per camera: publish the configs, remove the ones a camera no longer
  has, and remove retained ROI entities left by an older set (perhaps before a restart).
"""

from __future__ import annotations

import json
import logging
import threading
import time

from edge_agent.mqtt import discovery
from edge_agent.mqtt.topics import OFF, ON

log = logging.getLogger(__name__)


class CommandError(ValueError):
    """A `…/set` payload that is not ON, OFF or the JSON form; the message says why."""


def parse_switch(payload: bytes) -> tuple[bool, str | None]:
    """`ON` / `OFF` (any case), or JSON `{"state": "ON", "request_id": "…"}` -> (on, request id)."""
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CommandError("payload is not UTF-8") from None
    if text.upper() in (ON, OFF):
        return text.upper() == ON, None
    if not text.startswith("{"):
        raise CommandError(f'expected ON, OFF or JSON {{"state": …}}, got {text[:40]!r}')
    try:
        data = json.loads(text)
    except ValueError as err:
        raise CommandError(f"invalid JSON: {err}") from None
    if not isinstance(data, dict):
        raise CommandError("a JSON command must be an object")
    state = str(data.get("state", "")).upper()
    if state not in (ON, OFF):
        raise CommandError(f'\'state\' must be "ON" or "OFF", got {data.get("state")!r}')
    rid = data.get("request_id")
    if rid is not None and (not isinstance(rid, str) or len(rid) > 64):
        raise CommandError("'request_id' must be a string of at most 64 characters")
    return state == ON, rid


def older_set_error(version: int, active: int) -> str:
    """Why a set older than the one in force is refused (a late retained copy must not undo it)."""
    return f"version {version} is older than the version in force ({active})"


def detections_json(
    cam: str,
    service: str,
    captured_at: float,
    received_at: float,
    analysed_at: float,
    inference_ms: float,
    size,
    rois_version: int,
    objects,
) -> str:
    """The `detections` payload of one analysed frame (docs/mqtt.md, detections); compact JSON."""
    payload = {
        "camera": cam,
        "service": service,
        "captured_at": round(captured_at, 3),
        "received_at": round(received_at, 3),
        "analysed_at": round(analysed_at, 3),
        "inference_ms": round(inference_ms, 2),
        "size": list(size),
        "rois_version": rois_version,
        "persons": sum(1 for o in objects if o.label == "person"),
        "objects": [o.to_json() for o in objects],
    }
    return json.dumps(payload, separators=(",", ":"))


def claimed_version(payload: bytes) -> int | None:
    """The `version` a refused ROI set claims, to echo it in the acknowledgement."""
    try:
        version = json.loads(payload).get("version")
    except (ValueError, AttributeError):
        return None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def rois_ack(version: int | None, ok: bool, error: str | None, active_version: int, service: str) -> str:
    """The `rois/applied` payload (docs/mqtt.md, acknowledgements)."""
    return json.dumps(
        {
            "version": version,
            "ok": ok,
            "error": error,
            "active_version": active_version,
            "service": service,
            "at": round(time.time(), 3),
        }
    )


class DiscoveryPublisher:
    """HA discovery of one camera: which configs are out there, and stale ROI entities removed.

    `publish(client, configs)` publishes every config, empties the ones the last call had and this
    one has not, and (once per connection) subscribes to the camera's ROI entity configs, whose
    retained copies come back to `on_config()`, which removes those of regions no longer in force.
    `client` is anything with `publish(topic, payload, qos, retain)` and `subscribe(topic, qos)`.
    """

    def __init__(self, prefix: str, cam: str) -> None:
        self.prefix = prefix
        self.cam = cam
        self.topics: set[str] = set()
        self.subscribed = False
        self._lock = threading.Lock()

    @property
    def published(self) -> bool:
        return bool(self.topics)

    def reconnected(self) -> None:
        """The broker may have lost our subscriptions: subscribe again at the next publish."""
        self.subscribed = False

    def publish(self, client, configs: dict[str, dict]) -> None:
        with self._lock:
            removed = self.topics - set(configs)
            self.topics = set(configs)
            subscribe, self.subscribed = not self.subscribed, True
        for topic, payload in configs.items():
            client.publish(topic, discovery.encode(payload), qos=1, retain=True)
        for topic in removed:
            client.publish(topic, b"", qos=1, retain=True)
        if subscribe:
            for topic in discovery.roi_config_subscriptions(self.prefix, self.cam):
                client.subscribe(topic, 1)

    def on_config(self, client, topic: str, payload: bytes, roi_ids) -> bool:
        """A retained config of ours came back: empty it if its region is gone. True when removed."""
        if not payload or topic in self.topics:
            return False
        if not discovery.stale_roi_config(topic, self.prefix, self.cam, roi_ids):
            return False
        log.info("%s: removing the discovery of a region that no longer exists: %s", self.cam, topic)
        client.publish(topic, b"", qos=1, retain=True)
        return True
