"""The dumb camera: capture, encode JPEG, publish on `<base>/<cam>/frame` for listen_frame.

Frames are QoS 0 and never queued: while the broker is away, or while the previous frame is still
being written to the socket, a new frame is dropped and counted (a late frame is worse than none
for a detector). Streaming can be switched off by command; the state is retained on the broker so
that it survives a restart of the camera.

With `http_port` set, the JPEGs it publishes are also served as a live view (`/video`,
`/snapshot.jpg`, `/`; edge_agent/camera/http.py), without detection overlays: listen_frame
detects, not the camera. The view keeps working while the broker is away.

Memory: this module loads OpenCV and numpy only through a source that needs them, and the live
view's aiohttp only when `http_port` is set; on picamera2 the JPEGs come from the Pi's encoder
(docs/performance.md, "Dumb camera memory").
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt

from edge_agent import __version__
from edge_agent.camera.config import CameraConfig
from edge_agent.camera.sources.base import EndOfStream, FrameSource, SourceError
from edge_agent.mqtt.broker import BrokerSettings
from edge_agent.mqtt.client import ManagedClient, client_id, user_properties
from edge_agent.mqtt.messages import CommandError, Forget, SwitchState
from edge_agent.mqtt.switch import Switch
from edge_agent.mqtt.topics import OFFLINE, ONLINE, Topics
from edge_agent.ratelimit import RateLimitedLog

if TYPE_CHECKING:  # numpy and aiohttp are imported only when used
    import numpy as np
    import numpy.typing as npt

    from edge_agent.camera.http import FrameHub, LiveServer

log = logging.getLogger(__name__)

SUMMARY_EVERY = 60.0  # seconds between INFO lines with the counters
# The camera receives only small commands and its own retained state: the broker drops anything
# bigger before it reaches us (MQTT v5 Maximum Packet Size).
MAX_INCOMING_PACKET = 64 * 1024


def connect(client: ManagedClient) -> None:
    """Connect now if the broker is there; otherwise keep trying in the background.

    A camera is left running for months: a broker that is down at boot must not stop it, nor
    one that refuses its login (retried with backoff, so that fixing the user on the broker is
    enough; the client logs the refusal once).
    """
    try:
        client.start(timeout=10.0, retry_refused=True)
    except ConnectionError as err:
        if not isinstance(err.__cause__, OSError):
            raise
        client.start(timeout=None)


class DumbCamera:
    def __init__(
        self,
        cfg: CameraConfig,
        source: FrameSource,
        broker: BrokerSettings,
        stop: threading.Event | None = None,
    ) -> None:
        self.cfg = cfg
        self.cam = cfg.camera_id
        self.topics = Topics(cfg.base_topic)
        self.source = source
        self.stop_event = stop or threading.Event()
        self.stream_known = threading.Event()  # our retained state read (or a command came first)
        self.stream_on = threading.Event()  # the capture loop waits on it
        self.stream_on.set()
        # Removed in Home Assistant (a live `forget`, docs/mqtt.md): no frames, no announce, no
        # commands until the camera is restarted (then it is offered again).
        self.forgotten = False
        self._lock = threading.Lock()
        self.counters = {
            "captured": 0,
            "published": 0,
            "dropped_disconnected": 0,
            "dropped_busy": 0,
            "encode_errors": 0,
            "bad_command": 0,
            "bad_forget": 0,
        }
        self.bad_input = RateLimitedLog(log)
        self.http: LiveServer | None = None
        self.hub: FrameHub | None = None
        self.broker = broker
        self.mqtt = ManagedClient(
            broker,
            client_id=client_id("camera", self.cam),
            will=(self.topics.availability(self.cam), OFFLINE),
            on_connected=self._on_connected,
            on_message=self._on_message,
            max_packet_size=MAX_INCOMING_PACKET,
        )
        self.stream_switch = Switch(
            "streaming",
            self.mqtt,
            self.topics.stream_state(self.cam),
            on_change=self._stream_changed,
            bad=self.bad_input,
            counters=self.counters,
            label=self.cam,
        )

    @property
    def size(self) -> tuple[int, int]:
        """The frames' size: the source's, once open (its aspect: sources/frame_size.py)."""
        return self.source.size

    # --- MQTT side (paho's network thread) -------------------------------------------------

    def announce(self) -> dict[str, Any]:
        stream_url = snapshot_url = None
        if self.http is not None:  # aiohttp is loaded only with the live view on
            from edge_agent.camera.http import live_urls

            stream_url, snapshot_url = live_urls(self.http, self.broker.host)
        return {
            "id": self.cam,
            "name": self.cfg.display_name,
            "mode": "dumb",
            "resolution": list(self.size),
            "fps": float(self.cfg.fps),
            "sw_version": __version__,
            "platform": self.source.platform,
            "stream_url": stream_url,
            "snapshot_url": snapshot_url,
        }

    def status(self) -> dict[str, Any]:
        """For the status page: no person state or regions (listen_frame has those)."""
        return {
            "camera": self.cam,
            "name": self.cfg.display_name,
            "mode": "dumb",
            "stream": self.stream_switch.state.state,
            "connected": self.mqtt.connected.is_set(),
            "stats": {**self.counters, **self.source.stats(), **self.mqtt.counters},
        }

    def _start_http(self) -> None:
        settings = self.cfg.http_settings()
        if settings is None:
            return  # no live view: aiohttp (~9 MB) stays unloaded
        from edge_agent.camera.http import FrameHub, LiveServer

        self.hub = FrameHub()
        self.http = LiveServer(
            settings,
            self.hub,
            self.cam,
            self.cfg.display_name,
            self.status,
            streaming=lambda: self.stream_on.is_set(),
        )
        self.http.start()

    def _on_connected(self, mc: ManagedClient) -> None:
        t = self.topics
        if self.forgotten:
            return  # removed in HA: not offered again before a restart
        # Announcing itself again clears a `forget` left on the broker: before subscribing to it,
        # so that the old marker is not read back (docs/mqtt.md, forget).
        mc.publish(t.forget(self.cam), b"", qos=1, retain=True)
        mc.subscribe(t.stream_set(self.cam), qos=1)
        mc.subscribe(t.forget(self.cam), qos=1)
        mc.publish(t.announce(self.cam), json.dumps(self.announce()), qos=1, retain=True)
        mc.publish(t.availability(self.cam), ONLINE, qos=1, retain=True)
        if self.stream_known.is_set():
            self.stream_switch.publish()
        else:
            # First connection: adopt the state we left retained in an earlier run.
            mc.subscribe(t.stream_state(self.cam), qos=1)

    def _on_message(self, msg: mqtt.MQTTMessage) -> None:
        if self.forgotten:
            return
        if msg.topic == self.topics.forget(self.cam):
            self._on_forget(msg)
        elif msg.topic == self.topics.stream_state(self.cam):
            self.stream_switch.on_state(msg)  # our retained state from an earlier run
            self._finish_state_wait()
        elif msg.topic == self.topics.stream_set(self.cam):
            self._finish_state_wait(publish=False)  # the command's answer is the state published
            self.stream_switch.on_set(msg)

    def _on_forget(self, msg: mqtt.MQTTMessage) -> None:
        """Removed in Home Assistant: stop sending frames, empty what we keep retained."""
        if not msg.payload or msg.retain:
            return  # cleared, or a marker from before our start (we cleared it then)
        try:
            forget = Forget.parse(msg.payload)
        except CommandError as err:
            self.counters["bad_forget"] += 1
            self.bad_input.warning("forget", "%s: refused the forget: %s", self.cam, err)
            return
        self.forgotten = True
        self.stream_on.clear()
        log.warning(
            "%s: removed in Home Assistant (by %s): no more frames; restart the camera to offer it again",
            self.cam,
            forget.by or "someone",
        )
        t = self.topics
        for topic in (t.announce(self.cam), t.stream_state(self.cam), t.availability(self.cam)):
            self.mqtt.publish(topic, b"", qos=1, retain=True)

    def _finish_state_wait(self, publish: bool = True) -> None:
        """Stop listening to our own state; publish it so that HA sees it at once."""
        with self._lock:
            if self.stream_known.is_set():
                return
            self.stream_known.set()
        self.mqtt.client.unsubscribe(self.topics.stream_state(self.cam))
        if publish and not self.forgotten:  # forgotten while it waited: its state stays emptied
            self.stream_switch.settle()
        else:
            self.stream_switch.settled = True

    def _stream_changed(self, state: SwitchState) -> None:
        if state.on:
            self.stream_on.set()
        else:
            self.stream_on.clear()

    # --- capture side (main thread) --------------------------------------------------------

    def _encode(self, rgb: npt.NDArray[np.uint8]) -> bytes:
        from edge_agent.camera.sources.base import to_size
        from edge_agent.detect import imaging  # OpenCV: only for sources that give arrays

        return imaging.encode_jpeg(to_size(rgb, self.size), self.cfg.quality)

    def run(self) -> int:
        try:
            self._start_http()
        except (OSError, RuntimeError) as err:
            log.error("%s", err)
            self.source.close()
            return 1
        connect(self.mqtt)
        # Wait briefly for our retained stream state (it arrives right after subscribing).
        if not self.stream_known.wait(self.cfg.state_wait) and self.mqtt.connected.is_set():
            self._finish_state_wait()
        code = 0
        last_info: mqtt.MQTTMessageInfo | None = None
        last_sent = 0.0
        next_summary = time.monotonic() + SUMMARY_EVERY
        try:
            while not self.stop_event.is_set():
                if time.monotonic() >= next_summary:
                    next_summary += SUMMARY_EVERY
                    log.info("frames: %s; source: %s", self.counters, self.source.stats())
                if not self.stream_known.is_set() and self.mqtt.connected.is_set():
                    self._finish_state_wait()  # connected later than the first wait
                if not self.stream_on.is_set():
                    self.stop_event.wait(0.2)  # streaming off: do not even capture
                    continue
                if self.source.gives_jpeg:
                    jpeg = self.source.read_jpeg()  # encoded on the device: no array here
                    if jpeg is None:
                        if self.source.closed:
                            break
                        continue
                else:
                    rgb = self.source.read()
                    if rgb is None:
                        if self.source.closed:
                            break
                        continue
                captured_at = time.time()
                self.counters["captured"] += 1
                publish = True
                if not self.mqtt.connected.is_set():
                    self.counters["dropped_disconnected"] += 1
                    publish = False
                elif (
                    last_info is not None
                    and not last_info.is_published()
                    and time.monotonic() - last_sent < 5.0
                ):
                    # The socket has not taken the last frame yet. (After 5 s it was lost with a
                    # dropped connection, and is no reason to wait.)
                    self.counters["dropped_busy"] += 1
                    publish = False
                if not publish and self.hub is None:
                    continue
                if not self.source.gives_jpeg:
                    assert rgb is not None  # read above: this source gives arrays
                    try:
                        jpeg = self._encode(rgb)
                    except ValueError as err:
                        self.counters["encode_errors"] += 1
                        self.bad_input.warning("encode", "frame not encoded: %s", err)
                        continue
                assert jpeg is not None  # read or encoded above
                if self.hub is not None:
                    self.hub.put(jpeg, captured_at)  # the live view: the very JPEG published
                if not publish:
                    continue
                props = user_properties(captured_at=f"{captured_at:.3f}") if self.mqtt.is_v5 else None
                info = self.mqtt.publish(self.topics.frame(self.cam), jpeg, qos=0, properties=props)
                if info.rc == mqtt.MQTT_ERR_SUCCESS:
                    self.counters["published"] += 1
                    last_info, last_sent = info, time.monotonic()
                else:
                    self.counters["dropped_disconnected"] += 1
        except EndOfStream as err:
            log.info("%s; stopping", err)
        except SourceError as err:
            log.error("%s", err)
            code = 1
        finally:
            self.source.close()
            log.info("stopping: frames %s; source %s", self.counters, self.source.stats())
            if self.http is not None:
                self.http.stop()
            # Forgotten: its availability was emptied and stays so (no Last Will on a clean stop).
            self.mqtt.stop(final=None if self.forgotten else (self.topics.availability(self.cam), OFFLINE))
        return code
