# Bobby Camera ESP32 firmware: a dumb camera that publishes JPEG frames over MQTT for listen_frame.
# The MQTT contract is docs/mqtt.md; this file names the camera's topics (class Topics).
#
# Runs on MicroPython for the ESP32 with a `camera` module (see cam_driver.py) and the frozen
# umqtt.simple; the host tests run it under CPython with fakes for camera, network and machine.

import gc
import json
import sys

import cam_driver
import machine
import settings
import utime
import wifi
from umqtt.simple import MQTTClient, MQTTException

SW_VERSION = "0.1.0"
PLATFORM = "esp32-micropython"
MODEL = "ESP32-CAM (MicroPython)"

WDT_TIMEOUT_MS = 60000  # longer than the slowest blocking call (a TCP connect to a host that is gone)
BACKOFF_MIN_MS = 1000
BACKOFF_MAX_MS = 60000
CAPTURE_FAILURES_BEFORE_REINIT = 3
IDLE_SLICE_MS = 20  # how often commands are looked at between frames
POLL_MAX = 8  # messages handled per loop, so that a flood of commands cannot stop the frames
PING_TIMEOUT_MS = 5000
SEND_TIMEOUT_S = 10  # a frame that cannot go out in this time means the connection is dead
INBOX_MAX = 16
# Unix time: MicroPython ports count from 2000-01-01 unless they were built with a 1970 epoch.
EPOCH_OFFSET = 946684800 if utime.gmtime(0)[0] == 2000 else 0
# What a broken connection raises inside umqtt.simple (it reads and indexes without checks).
MQTT_ERRORS = (OSError, MQTTException, AssertionError, IndexError, TypeError)
# The largest incoming message kept: commands and our states are a few hundred bytes. A larger one
# is read in small pieces and dropped; taken whole it could raise MemoryError, and a retained one
# would do so again at every connection.
MSG_MAX = 4096
DISCARD_CHUNK = 512


class BoundedClient(MQTTClient):
    """umqtt.simple's client, whose wait_msg() bounds what it allocates for an incoming message.

    umqtt.simple reads a PUBLISH whole (`sock.read(size)`) whatever size the broker announces.
    This is its wait_msg() with one change: a message over MSG_MAX is skipped in DISCARD_CHUNK
    pieces (and acknowledged at QoS 1, so the broker does not send it again) instead of read.
    """

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.on_dropped = None  # called with (topic head, size) for each message dropped

    def wait_msg(self):
        res = self.sock.read(1)
        self.sock.setblocking(True)
        if res is None:
            return None
        if res == b"":
            raise OSError(-1)
        if res == b"\xd0":  # PINGRESP
            sz = self.sock.read(1)[0]
            assert sz == 0
            return None
        op = res[0]
        if op & 0xF0 != 0x30:
            return op
        sz = self._recv_len()
        topic_len = self.sock.read(2)
        topic_len = (topic_len[0] << 8) | topic_len[1]
        if topic_len + 2 > sz:
            raise OSError(-1)  # a malformed packet: the stream cannot be trusted any more
        big = sz > MSG_MAX
        if big:
            head = self.sock.read(min(topic_len, 64))
            self._skip(topic_len - len(head))
        else:
            head = self.sock.read(topic_len)
        sz -= topic_len + 2
        if op & 6:
            pid = self.sock.read(2)
            pid = pid[0] << 8 | pid[1]
            sz -= 2
        if big:
            self._skip(sz)
            if self.on_dropped:
                self.on_dropped(head, sz)
        else:
            msg = self.sock.read(sz)
            self.cb(head, msg)
        if op & 6 == 2:
            pkt = bytearray(b"\x40\x02\0\0")
            pkt[2] = pid >> 8
            pkt[3] = pid & 0xFF
            self.sock.write(pkt)
        elif op & 6 == 4:
            assert 0

    def _skip(self, n):
        while n > 0:
            got = self.sock.read(min(n, DISCARD_CHUNK))
            if not got:
                raise OSError(-1)
            n -= len(got)


def unix_time():
    # Whole seconds: MicroPython floats on the ESP32 are 32-bit, too coarse for a Unix time.
    return utime.time() + EPOCH_OFFSET


class Topics:
    """The camera's topics (bytes, as umqtt.simple hands them to the callback)."""

    def __init__(self, base, cam, discovery_prefix):
        t = base + "/" + cam + "/"
        self.availability = (t + "availability").encode()
        self.announce = (t + "announce").encode()
        self.forget = (t + "forget").encode()
        self.frame = (t + "frame").encode()
        self.stream_set = (t + "stream/set").encode()
        self.stream_state = (t + "stream/state").encode()
        self.config_set = (t + "config/set").encode()
        self.config_state = (t + "config/state").encode()
        self.device = (t + "device").encode()
        self.ha_status = (discovery_prefix + "/status").encode()
        self.discovery_prefix = discovery_prefix
        self.node = "bobby_" + cam

    def discovery(self, component, object_id):
        return ("%s/%s/%s/%s/config" % (self.discovery_prefix, component, self.node, object_id)).encode()


def parse_request_id(req):
    rid = req.get("request_id")
    if rid is not None and (not isinstance(rid, str) or len(rid) > 64):
        raise ValueError("request_id must be text of up to 64 characters")
    return rid


def parse_switch(msg):
    """stream/set: b"ON", b"OFF" or {"state": "ON", "request_id": "..."} -> (state, request_id)."""
    if msg == b"ON" or msg == b"OFF":
        return msg.decode(), None
    try:
        req = json.loads(msg)
    except ValueError:
        raise ValueError('payload must be ON, OFF or JSON {"state": "ON"}')
    if not isinstance(req, dict):
        raise ValueError('payload must be ON, OFF or JSON {"state": "ON"}')
    rid = parse_request_id(req)
    state = req.get("state")
    if state != "ON" and state != "OFF":
        raise ValueError("state must be ON or OFF")
    return state, rid


class App:
    def __init__(self, cfg, state_path="state.json", wdt=None):
        self.cfg = cfg
        self.cam = cfg["camera_id"]
        self.client_id = ("bobby-" + self.cam).encode()
        self.t = Topics(cfg["base_topic"], self.cam, cfg["discovery_prefix"])
        self.wifi = wifi.Wifi(cfg["wifi"]["ssid"], cfg["wifi"]["password"], "bobby-" + self.cam)
        self.wdt = wdt
        self.state_path = state_path
        self.running = False
        self.client = None
        self.inbox = []
        self.received = 0
        # Settings in force: config.json's, then what state.json remembers, then (at the first
        # connection) the retained stream/state and config/state on the broker.
        self.streaming = cfg["streaming"]
        self.framesize = cfg["framesize"]
        self.quality = cfg["quality"]
        self.fps = cfg["fps"]
        self.stream_rid = None
        self.config_rid = None
        self._adopt(settings.load_state(state_path))
        self.synced = False
        # Removed in Home Assistant (a `forget`, docs/mqtt.md): no frames, no announce, no
        # discovery until restarted; then it is offered again.
        self.forgotten = False
        self.frames = 0
        self.errors = 0
        self.connects = 0
        self.reconnects = 0
        self.camera_reinits = 0
        self.dropped = 0  # incoming messages over MSG_MAX, skipped unread
        self.memory_errors = 0
        self.capture_failures = 0
        self.camera_up = False
        self.camera_backoff = BACKOFF_MIN_MS
        # uptime in seconds plus a millisecond remainder: one counter in ms would outgrow
        # MicroPython's small ints after 12 days and then allocate on every loop.
        self.uptime_s = 0
        self._uptime_ms = 0
        now = self._last_tick = utime.ticks_ms()
        self.camera_retry_at = now
        self.next_frame = now
        self.next_diag = now
        self.next_ping = now

    # -- helpers ------------------------------------------------------------------------------

    def log(self, msg):
        print("[%6d] %s" % (self.uptime_s, msg))

    def _feed(self):
        if self.wdt is not None:
            self.wdt.feed()

    def _keep_going(self):
        return self.running

    def _now(self):
        now = utime.ticks_ms()
        self._uptime_ms += utime.ticks_diff(now, self._last_tick)
        self._last_tick = now
        if self._uptime_ms >= 1000:
            self.uptime_s += self._uptime_ms // 1000
            self._uptime_ms %= 1000
        return now

    def _wait(self, ms):
        """Sleep ms while feeding the watchdog; returns early when stopped."""
        end = utime.ticks_add(utime.ticks_ms(), ms)
        while self.running:
            self._feed()
            left = utime.ticks_diff(end, utime.ticks_ms())
            if left <= 0:
                return
            utime.sleep_ms(left if left < 100 else 100)

    @property
    def period_ms(self):
        return int(1000 / self.fps)

    def _adopt(self, state):
        """Take over the valid parts of a saved or retained state; True when something changed."""
        before = (self.streaming, self.framesize, self.quality, self.fps)
        s = state.get("streaming")
        if isinstance(s, bool):
            self.streaming = s
        for key, check in (
            ("framesize", settings.check_framesize),
            ("quality", settings.check_quality),
            ("fps", settings.check_fps),
        ):
            if key in state:
                try:
                    setattr(self, key, check(state[key]))
                except ValueError:
                    pass
        for key in ("stream_rid", "config_rid"):
            if key in state and (state[key] is None or isinstance(state[key], str)):
                setattr(self, key, state[key])
        return before != (self.streaming, self.framesize, self.quality, self.fps)

    def _save(self):
        state = {
            "streaming": self.streaming,
            "framesize": self.framesize,
            "quality": self.quality,
            "fps": self.fps,
            "stream_rid": self.stream_rid,
            "config_rid": self.config_rid,
        }
        try:
            settings.save_state(state, self.state_path)
        except OSError as e:  # a full or read-only flash: the retained states still hold it
            self.errors += 1
            self.log("state: cannot save %s: %r" % (self.state_path, e))

    # -- camera -------------------------------------------------------------------------------

    def _start_camera(self, now):
        gc.collect()
        try:
            cam_driver.init(self.framesize, self.quality, self.cfg["camera_pins"])
        except cam_driver.CameraError as e:
            self.errors += 1
            self.camera_up = False
            self.camera_retry_at = utime.ticks_add(now, self.camera_backoff)
            self.log("camera: %s; next try in %d s" % (e, self.camera_backoff // 1000))
            self.camera_backoff = min(self.camera_backoff * 2, BACKOFF_MAX_MS)
            return False
        self.camera_up = True
        self.camera_backoff = BACKOFF_MIN_MS
        self.capture_failures = 0
        self.log("camera: up, %s quality %d" % (self.framesize, self.quality))
        return True

    def _capture_failed(self, err, now):
        self.errors += 1
        self.capture_failures += 1
        self.log("camera: %s (%d in a row)" % (err, self.capture_failures))
        if self.capture_failures >= CAPTURE_FAILURES_BEFORE_REINIT:
            self.camera_reinits += 1
            self.log("camera: re-initialising")
            self._start_camera(now)

    def _frame(self, now):
        # One period from this one's start: never faster than configured, even after a late frame
        # (no catching up in a burst); a capture and publish longer than a period slow it down.
        self.next_frame = utime.ticks_add(now, self.period_ms)
        if not self.camera_up:
            if utime.ticks_diff(now, self.camera_retry_at) < 0 or not self._start_camera(now):
                return
        try:
            jpeg = cam_driver.capture()
        except cam_driver.CameraError as e:
            self._capture_failed(e, now)
            return
        self.capture_failures = 0
        # A blocking write: a slow broker slows the camera down; one that stops reading makes it
        # time out, and a failure raises and reconnects (rather than waiting for the watchdog).
        sock = self.client.sock
        sock.settimeout(SEND_TIMEOUT_S)
        self.client.publish(self.t.frame, jpeg)
        sock.settimeout(None)
        self.frames += 1
        jpeg = None
        gc.collect()

    # -- MQTT ---------------------------------------------------------------------------------

    def _on_dropped(self, topic, size):
        # From inside umqtt, like _on_message: count and log only.
        self.errors += 1
        self.dropped += 1
        if self.dropped <= 3 or self.dropped % 100 == 0:  # a flood must not flood the console
            self.log(
                "mqtt: a %d-byte message on %r dropped (limit %d), %d so far"
                % (size, topic, MSG_MAX, self.dropped)
            )

    def _out_of_memory(self, e, where):
        # MicroPython raises MemoryError when no heap block is large enough: free what can be
        # freed and start the connection again, rather than reset the board (a retained message
        # would then reset it again at every boot).
        self.errors += 1
        self.memory_errors += 1
        self.inbox = []
        gc.collect()
        self.log("memory: %s: %r (%d so far, %d bytes free)" % (where, e, self.memory_errors, gc.mem_free()))

    def _on_message(self, topic, msg):
        # Called from inside umqtt (even while it waits for a PUBACK): only queue, never publish.
        self.received += 1
        if len(self.inbox) >= INBOX_MAX:
            self.errors += 1
            return
        self.inbox.append((topic, msg))

    def _connect(self):
        backoff = BACKOFF_MIN_MS
        while self.running:
            if not self.wifi.isconnected():
                self.log("wifi: connecting to %r" % self.cfg["wifi"]["ssid"])
                if not self.wifi.connect(self._feed, self._keep_going):
                    self.log("wifi: not connected; next try in %d s" % (backoff // 1000))
                    self._wait(backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX_MS)
                    continue
                self.log("wifi: connected, address %s, signal %s dBm" % (self.wifi.ip(), self.wifi.rssi()))
                self._sync_clock()
            try:
                self._mqtt_connect()
                return
            except MemoryError as e:
                self._out_of_memory(e, "while connecting")
                self._close()
                self._wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_MS)
                continue
            except MQTT_ERRORS as e:
                self.errors += 1
                self._close()
                b = self.cfg["broker"]
                self.log(
                    "mqtt: cannot connect to %s:%d: %r; next try in %d s"
                    % (b["host"], b["port"], e, backoff // 1000)
                )
                self._wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_MS)

    def _sync_clock(self):
        # Best effort: the "at" of the acknowledgements is right only with a set clock.
        host = self.cfg["ntp_host"]
        if not host:
            return
        try:
            import ntptime

            ntptime.host = host
            ntptime.settime()
        except Exception as e:  # ntptime raises what its socket raises, or OverflowError
            self.log("ntp: %s: %r" % (host, e))

    def _mqtt_connect(self):
        b = self.cfg["broker"]
        # As bytes: umqtt.simple writes len(text) as the length, which is wrong for non-ASCII text.
        user = b["user"].encode() if b["user"] is not None else None
        password = (b["password"] or "").encode() if user is not None else None
        c = BoundedClient(self.client_id, b["host"], b["port"], user, password, b["keepalive"])
        c.set_callback(self._on_message)
        c.on_dropped = self._on_dropped
        c.set_last_will(self.t.availability, b"offline", retain=True, qos=1)
        self.client = c  # set before connect() so that _close() releases the socket if it fails
        self.inbox = []
        c.connect()
        if not self.forgotten:
            # Announcing itself again clears a `forget` left on the broker: before subscribing to
            # it, so that the old marker is not read back (docs/mqtt.md, forget).
            c.publish(self.t.forget, b"", retain=True, qos=1)
            c.subscribe(self.t.forget, 1)
        c.subscribe(self.t.stream_set, 1)
        c.subscribe(self.t.config_set, 1)
        c.subscribe(self.t.ha_status, 0)
        if not self.synced:
            c.subscribe(self.t.stream_state, 0)
            c.subscribe(self.t.config_state, 0)
        # The broker sends the retained messages of a subscription before it handles what we send
        # next, so by the PUBACK of "online" the retained states (if any) are in the inbox.
        c.publish(self.t.availability, b"online", retain=True, qos=1)
        if not self.synced:
            self._adopt_retained()
            self.synced = True
        now = self._now()
        self.connects += 1
        if self.connects > 1:
            self.reconnects += 1
        self.next_frame = now
        self.next_ping = utime.ticks_add(now, b["keepalive"] * 500)
        self.log("mqtt: connected to %s:%d as %s" % (b["host"], b["port"], self.client_id.decode()))
        self._publish_all()

    def _adopt_retained(self):
        keep = []
        changed = False
        for topic, msg in self.inbox:
            if topic == self.t.stream_state or topic == self.t.config_state:
                try:
                    state = json.loads(msg)
                except ValueError:
                    continue
                if not isinstance(state, dict):
                    continue
                if topic == self.t.stream_state:
                    s = state.get("state")
                    state = (
                        {"streaming": s == "ON", "stream_rid": state.get("request_id")}
                        if s in ("ON", "OFF")
                        else {}
                    )
                else:
                    state["config_rid"] = state.get("request_id")
                old_size = self.framesize
                if self._adopt(state):
                    changed = True
                    if self.framesize != old_size and self.camera_up:
                        self._start_camera(self._now())
            else:
                keep.append((topic, msg))
        self.inbox = keep
        if changed:
            self.log(
                "state: adopted the retained state: streaming %s, %s quality %d at %s fps"
                % (self.streaming, self.framesize, self.quality, self.fps)
            )
            self._save()

    def _close(self):
        c = self.client
        self.client = None
        if c is not None and c.sock is not None:
            try:
                c.sock.close()
            except OSError:
                pass

    def _lost(self, reason):
        self.errors += 1
        self.log("mqtt: connection lost (%s)" % reason)
        self._close()

    def _publish_json(self, topic, obj, retain=True, qos=1):
        self.client.publish(topic, json.dumps(obj).encode(), retain=retain, qos=qos)

    def _publish_all(self):
        if self.forgotten:
            return
        self._publish_announce()
        self._publish_discovery()
        self._publish_stream_state()
        self._publish_config_state()
        self._publish_diag()

    def _publish_announce(self):
        w, h = cam_driver.FRAMESIZES[self.framesize]
        self._publish_json(
            self.t.announce,
            {
                "id": self.cam,
                "name": self.cfg["name"],
                "mode": "dumb",
                "resolution": [w, h],
                "fps": self.fps,
                "sw_version": SW_VERSION,
                "platform": PLATFORM,
                "stream_url": None,
                "snapshot_url": None,
            },
        )

    def discovery_configs(self):
        """(topic, config) of each Home Assistant entity the camera knows of itself."""
        t = self.t
        device = {
            "identifiers": [t.node],
            "name": self.cfg["name"],
            "manufacturer": "Bobby Camera",
            "model": MODEL,
            "sw_version": SW_VERSION,
        }
        availability = [{"topic": t.availability.decode()}]
        device_topic = t.device.decode()

        def entity(object_id, name, extra):
            c = {
                "name": name,
                "unique_id": t.node + "_" + object_id,
                "device": device,
                "availability": availability,
            }
            c.update(extra)
            return c

        return [
            (
                t.discovery("sensor", "wifi_rssi"),
                entity(
                    "wifi_rssi",
                    "Wi-Fi signal",
                    {
                        "state_topic": device_topic,
                        "value_template": "{{ value_json.rssi }}",
                        "device_class": "signal_strength",
                        "unit_of_measurement": "dBm",
                        "state_class": "measurement",
                        "entity_category": "diagnostic",
                    },
                ),
            ),
            (
                t.discovery("sensor", "free_memory"),
                entity(
                    "free_memory",
                    "Free memory",
                    {
                        "state_topic": device_topic,
                        "value_template": "{{ value_json.free_mem }}",
                        "device_class": "data_size",
                        "unit_of_measurement": "B",
                        "state_class": "measurement",
                        "entity_category": "diagnostic",
                    },
                ),
            ),
            (
                t.discovery("switch", "streaming"),
                entity(
                    "streaming",
                    "Streaming",
                    {
                        "command_topic": t.stream_set.decode(),
                        "state_topic": t.stream_state.decode(),
                        "value_template": "{{ value_json.state }}",
                        "payload_on": "ON",
                        "payload_off": "OFF",
                        "state_on": "ON",
                        "state_off": "OFF",
                        "qos": 1,
                        "icon": "mdi:cctv",
                    },
                ),
            ),
        ]

    def _publish_discovery(self):
        for topic, config in self.discovery_configs():
            self._publish_json(topic, config)

    def _publish_stream_state(self, request_id=None, error=None):
        msg = {
            "state": "ON" if self.streaming else "OFF",
            "request_id": request_id if error else self.stream_rid,
            "at": unix_time(),
        }
        if error:
            msg["error"] = error
        self._publish_json(self.t.stream_state, msg)

    def _publish_config_state(self, request_id=None, error=None):
        w, h = cam_driver.FRAMESIZES[self.framesize]
        msg = {
            "framesize": self.framesize,
            "quality": self.quality,
            "fps": self.fps,
            "resolution": [w, h],
            "request_id": request_id if error else self.config_rid,
            "at": unix_time(),
        }
        if error:
            msg["error"] = error
        self._publish_json(self.t.config_state, msg)

    def diagnostics(self):
        gc.collect()  # free memory means something only right after a collection
        return {
            "rssi": self.wifi.rssi(),
            "free_mem": gc.mem_free(),
            "uptime": self.uptime_s,
            "frames": self.frames,
            "errors": self.errors,
            "reconnects": self.reconnects,
            "camera_reinits": self.camera_reinits,
            "dropped": self.dropped,
            "memory_errors": self.memory_errors,
            "streaming": self.streaming,
        }

    def _publish_diag(self):
        self.next_diag = utime.ticks_add(self._now(), self.cfg["diagnostics_interval"] * 1000)
        self._publish_json(self.t.device, self.diagnostics(), retain=False, qos=0)

    # -- commands -----------------------------------------------------------------------------

    def _handle_inbox(self):
        while self.inbox:
            topic, msg = self.inbox.pop(0)
            if self.forgotten:
                continue  # removed in HA: no commands either
            if topic == self.t.forget:
                if msg:
                    self._forget(msg)
            elif topic == self.t.stream_set:
                self._cmd_stream(msg)
            elif topic == self.t.config_set:
                self._cmd_config(msg)
            elif topic == self.t.ha_status and msg == b"online":
                self._publish_discovery()  # Home Assistant restarted: tell it again
            # Anything else is our own retained state coming back: nothing to do.

    def _forget(self, msg):
        """Removed in Home Assistant: our retained topics and discovery emptied, quiet until restarted."""
        if len(msg) > 1024:
            self._refused("forget", msg, "%d bytes (at most 1024)" % len(msg))
            return
        try:
            data = json.loads(msg)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self._refused("forget", msg, "not a JSON object")
            return
        self.forgotten = True
        self.log("forget: removed in Home Assistant: no more frames until restarted")
        for topic in (self.t.announce, self.t.stream_state, self.t.config_state, self.t.availability):
            self.client.publish(topic, b"", retain=True, qos=1)
        for topic, _ in self.discovery_configs():
            self.client.publish(topic, b"", retain=True, qos=1)

    def _refused(self, what, msg, error):
        self.errors += 1
        self.log("command %s refused: %s (%r)" % (what, error, msg[:64]))

    def _cmd_stream(self, msg):
        try:
            state, rid = parse_switch(msg)
        except ValueError as e:
            self._refused("stream/set", msg, str(e))
            rid = None
            try:
                rid = parse_request_id(json.loads(msg))
            except (ValueError, AttributeError, TypeError):
                pass
            self._publish_stream_state(rid, str(e))
            return
        on = state == "ON"
        if on and not self.streaming:
            self.next_frame = self._now()
        if on != self.streaming or rid != self.stream_rid:
            self.streaming = on
            self.stream_rid = rid
            self._save()
        self.log("stream: %s (request %s)" % (state, rid))
        self._publish_stream_state()

    def _cmd_config(self, msg):
        rid = None
        try:
            req = json.loads(msg)
            if not isinstance(req, dict):
                raise ValueError("payload must be a JSON object")
            rid = parse_request_id(req)
            new = {}
            for key, check in (
                ("framesize", settings.check_framesize),
                ("quality", settings.check_quality),
                ("fps", settings.check_fps),
            ):
                if key in req:
                    try:
                        new[key] = check(req[key])
                    except ValueError as e:
                        raise ValueError("%s %s" % (key, e))
        except ValueError as e:
            self._refused("config/set", msg, str(e))
            self._publish_config_state(rid, str(e))
            return
        old_size, old_quality = self.framesize, self.quality
        self.framesize = new.get("framesize", old_size)
        self.quality = new.get("quality", old_quality)
        self.fps = new.get("fps", self.fps)
        now = self._now()
        if self.framesize != old_size:
            # The driver sizes its frame buffers at init: a new frame size needs a new init.
            if not self._start_camera(now):
                self.framesize, self.quality = old_size, old_quality
                self._start_camera(now)
                error = "the camera did not start with framesize %s" % new["framesize"]
                self._refused("config/set", msg, error)
                self._publish_config_state(rid, error)
                return
        elif self.quality != old_quality and self.camera_up:
            cam_driver.set_quality(self.quality)
        self.config_rid = rid
        self.next_frame = now
        self._save()
        self.log(
            "config: %s quality %d at %s fps (request %s)" % (self.framesize, self.quality, self.fps, rid)
        )
        self._publish_config_state()
        self._publish_announce()

    # -- main loop ----------------------------------------------------------------------------

    def _poll(self):
        for _ in range(POLL_MAX):
            n = len(self.inbox)
            if self.client.check_msg() is None and len(self.inbox) == n:
                return

    def _ping(self):
        """Keepalive, and proof that the broker is there: a broker that went away without a word
        (its host lost power) leaves the socket open for minutes, so no answer means reconnect."""
        c = self.client
        c.ping()
        deadline = utime.ticks_add(
            utime.ticks_ms(), min(PING_TIMEOUT_MS, self.cfg["broker"]["keepalive"] * 1000)
        )
        while True:
            left = utime.ticks_diff(deadline, utime.ticks_ms())
            if left <= 0:
                raise OSError("no answer to ping")
            self._feed()
            c.sock.settimeout(left / 1000)  # wait_msg() sets the socket blocking again after one byte
            n = self.received
            if c.wait_msg() is None and self.received == n:
                return  # the PINGRESP (a message would have been counted, other packets return their type)

    def _idle(self):
        wait = IDLE_SLICE_MS
        if self.streaming:
            due = utime.ticks_diff(self.next_frame, utime.ticks_ms())
            if due < wait:
                wait = due
        if wait > 0:
            utime.sleep_ms(wait)

    def step(self):
        """One turn of the loop: connect if needed, take commands, send a frame when one is due."""
        self._feed()
        if self.client is None or not self.wifi.isconnected():
            if self.client is not None:
                self._lost("wifi lost")
            self._connect()
            return
        now = self._now()
        try:
            self._poll()
            if self.inbox:
                self._handle_inbox()
            if self.streaming and not self.forgotten and utime.ticks_diff(now, self.next_frame) >= 0:
                self._frame(now)
            if self.forgotten:
                pass  # nothing published (the keepalive below keeps the connection)
            elif utime.ticks_diff(now, self.next_diag) >= 0:
                self._publish_diag()
            if utime.ticks_diff(now, self.next_ping) >= 0:
                self.next_ping = utime.ticks_add(now, self.cfg["broker"]["keepalive"] * 500)
                self._ping()
        except MQTT_ERRORS as e:
            self._lost(repr(e))
            return
        except MemoryError as e:
            self._out_of_memory(e, "in the loop")
            self._lost("out of memory")  # where umqtt stopped reading is unknown: a new connection
            self._wait(BACKOFF_MIN_MS)
            return
        self._idle()

    def stop(self):
        self.running = False

    def shutdown(self):
        """Say goodbye properly (a stop, not a crash: the Last Will is for those)."""
        if self.client is not None:
            try:
                self.client.publish(self.t.availability, b"offline", retain=True, qos=1)
                self.client.disconnect()
            except MQTT_ERRORS:
                pass
            self._close()
        cam_driver.deinit()
        self.camera_up = False

    def run(self):
        self.running = True
        self.log(
            "camera %s: %s quality %d at %s fps, streaming %s"
            % (self.cam, self.framesize, self.quality, self.fps, "on" if self.streaming else "off")
        )
        self._start_camera(self._now())
        try:
            while self.running:
                self.step()
        finally:
            self.shutdown()


def _stop(message):
    print("bobby_cam: " + message)
    print("bobby_cam: stopped. Fix it (see config.example.json and README.md), then press reset.")


def main(config_path="config.json", state_path="state.json"):
    """Check the config, then stream for ever; returns only on a bad config or Ctrl-C."""
    print("Bobby Camera ESP32 firmware " + SW_VERSION)
    try:
        cfg = settings.load_config(config_path)
    except settings.ConfigError as e:
        _stop(str(e))  # no watchdog yet: the board stays at the REPL instead of a reset loop
        return None
    if not cam_driver.available():
        _stop(cam_driver.MISSING_MODULE)
        return None
    app = App(cfg, state_path)
    # From here on the board resets itself if the loop hangs (a blocked socket, a stuck driver).
    app.wdt = machine.WDT(timeout=WDT_TIMEOUT_MS)
    try:
        app.run()
    except KeyboardInterrupt:
        print(
            "bobby_cam: stopped by Ctrl-C; the watchdog resets the board within %d s"
            % (WDT_TIMEOUT_MS // 1000)
        )
    except Exception as e:  # a bug, not a network problem: say what it was and start again clean
        print("bobby_cam: unexpected error, resetting in 5 s")
        if hasattr(sys, "print_exception"):
            sys.print_exception(e)
        else:
            print(repr(e))
        utime.sleep(5)
        machine.reset()
    return app
