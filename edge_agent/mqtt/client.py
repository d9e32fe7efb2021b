"""`ManagedClient`: a paho client that reconnects by itself (its broker settings: broker.py).

paho-mqtt 2.x does the protocol work; this module only adds what every Bobby service needs the
same way: the Last Will, MQTT v5 with a fallback to 3.1.1, automatic reconnection with
backoff and a hook to re-subscribe and republish retained state after each (re)connection.

Reliability rules it enforces for every service (docs/reliability.md, "Broker restart"):

- While the broker is away nothing piles up in paho. QoS 0 messages are dropped (counted); QoS 1
  messages wait in a bounded store of ours (outage_store.py) where a retained topic keeps only
  its newest payload (a state or snapshot superseded meanwhile is counted, never replayed) and a
  non-retained one is kept at most `STALE_AFTER` seconds.
- On every (re)connection the service's hook (availability first, then its retained state) goes
  out before anything left over from the outage: paho would otherwise re-send its whole backlog
  ahead of the hook's messages through its 20-message in-flight window.
- Reconnection attempts are at most `RECONNECT_MAX` seconds apart while the broker cannot be
  reached, so a restarted broker is used within that time. A broker that answers but refuses us
  (a wrong login: "Not authorized", "Bad user name or password") is retried after
  `refused_backoff` seconds, doubling up to `max_backoff` (1 s to 60 s): one WARNING when the
  refusals start or their reason changes, DEBUG for the repeats, one INFO when it connects again.
- Client ids are stable per role and name (`client_id()`), so a service restarted quickly takes
  its half-open old session over instead of that session's Last Will overwriting `online` later.
- MQTT v5 Maximum Packet Size on CONNECT (`max_packet_size`): the broker drops a message we would
  not accept instead of sending it (and paho buffering it).
"""

from __future__ import annotations

import hashlib
import logging
import re
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from edge_agent.mqtt.broker import BrokerSettings, BrokerURLError
from edge_agent.mqtt.outage_store import OutageStore, PendingMessage

log = logging.getLogger(__name__)

# Reconnection: at most this long between attempts while the broker cannot be reached (a refused
# TCP connect costs nothing); a broker that answers and refuses us waits REFUSED_BACKOFF, doubling
# up to MAX_BACKOFF.
RECONNECT_MAX = 2.0
REFUSED_BACKOFF = 1.0
MAX_BACKOFF = 60.0
# CONNACK reason codes of a login the broker does not accept (MQTT 3.1.1's return codes 4 and 5
# are mapped to these by paho).
BAD_LOGIN = 134  # Bad user name or password
NOT_AUTHORIZED = 135
# While disconnected: at most this many QoS 1 messages / bytes wait for the broker (see module doc).
PENDING_MAX_MESSAGES = 1000
PENDING_MAX_BYTES = 16 * 1024 * 1024
# A non-retained QoS 1 message (an event) older than this is not sent after a reconnection: an
# automation would fire late for something long over.
STALE_AFTER = 10.0
# While connected: paho holds at most this many unacknowledged QoS 1 messages; beyond, a publish
# is refused (counted as `dropped_queue_full`) instead of growing memory behind a stalled broker.
PAHO_MAX_QUEUED = 2000
# Added to a service's largest accepted payload for the v5 Maximum Packet Size (topic, properties).
PACKET_HEADROOM = 16 * 1024

_CLIENT_ID_MAX = 64  # Mosquitto takes up to 65535; 64 keeps ids readable and within every broker we know
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def client_id(role: str, name: str) -> str:
    """A stable MQTT client id for one service: `bobby-<role>-<name>`.

    The same after a restart (no PID, no random part), so a service that comes back before the
    broker noticed its old connection died takes that session over (the broker closes it and
    publishes its Will first, then ours comes). Only `A-Z a-z 0-9 _ -`; at most 64 characters:
    a longer one is cut and ends with 8 hex digits of a hash of the whole, so two long names
    still differ.
    """
    raw = f"bobby-{role}-{name}"
    safe = _UNSAFE_ID_CHARS.sub("-", raw).strip("-") or "bobby"
    if len(safe) <= _CLIENT_ID_MAX:
        return safe
    digest = hashlib.sha1(raw.encode()).hexdigest()[:8]
    return f"{safe[: _CLIENT_ID_MAX - 9]}-{digest}"


# What paho reports when a broker refuses the protocol version (v5 reason code 132).
UNSUPPORTED_PROTOCOL = 132


def user_properties(**values: str) -> Properties:
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho leaves Properties.__init__ unannotated
    props.UserProperty = [(k, str(v)) for k, v in values.items()]
    return props


def _as_bytes(payload: mqtt.PayloadType) -> bytes:
    if payload is None:
        return b""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, (bytearray, memoryview)):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode()
    if isinstance(payload, (int, float)):
        return str(payload).encode()
    raise TypeError(f"payload must be str, bytes, int, float or None, not {type(payload).__name__}")


def _not_sent(rc: MQTTErrorCode = mqtt.MQTT_ERR_NO_CONN) -> mqtt.MQTTMessageInfo:
    """What publish() returns for a message not handed to paho (rc as paho would give)."""
    info = mqtt.MQTTMessageInfo(0)
    info.rc = rc
    return info


def packet_size_for_payload(max_payload: int) -> int:
    """The v5 Maximum Packet Size for a service that accepts payloads up to `max_payload` bytes.

    Twice the limit: a payload somewhat over it still reaches the service, which drops it with a
    log line and a counter (a camera set to a too-high resolution shows up in the stats); one far
    over it (a flood, a hostile client) is dropped by the broker before paho buffers anything.
    """
    return 2 * int(max_payload) + PACKET_HEADROOM


class BrokerRefused(ConnectionError):
    """The broker answered and refused the connection (`reason`: "Not authorized", ...)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class ManagedClient:
    """A paho client with Last Will, v5→3.1.1 fallback, backoff and an on-connect hook.

    `on_connected` runs after every successful (re)connection, in paho's network thread: that is
    where a service subscribes and republishes its retained state. Its messages go out before
    anything published while the broker was away (see the module doc); `counters` says what was
    dropped and why.
    """

    def __init__(
        self,
        settings: BrokerSettings,
        client_id: str,
        *,
        will: tuple[str, str] | None = None,
        on_connected: Callable[[ManagedClient], None] | None = None,
        on_message: Callable[[mqtt.MQTTMessage], None] | None = None,
        protocol: MQTTProtocolVersion = mqtt.MQTTv5,
        min_backoff: float = 0.5,
        max_backoff: float = MAX_BACKOFF,
        refused_backoff: float = REFUSED_BACKOFF,
        max_packet_size: int | None = None,
        reconnect_max: float = RECONNECT_MAX,
        pending_max_messages: int = PENDING_MAX_MESSAGES,
        pending_max_bytes: int = PENDING_MAX_BYTES,
        stale_after: float = STALE_AFTER,
    ) -> None:
        self.settings = settings
        self.client_id = client_id
        self.will = will
        self.on_connected = on_connected
        self.on_message_cb = on_message
        self.protocol = protocol
        self.connected = threading.Event()
        self.stopping = False
        self.connect_count = 0
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.reconnect_max = min(reconnect_max, max_backoff)
        self.refused_backoff = min(refused_backoff, max_backoff)
        # Refusals by a broker that answers: the reason of the current run of them (None while
        # connected or unreachable), how many, and the delay before the next attempt.
        self.refused: str | None = None
        self.refusals = 0
        self._refused_delay: float | None = None
        # Set by the first CONNACK of a start(), accepted or refused, so start() need not wait out
        # its timeout to learn that the login is wrong.
        self._answered = threading.Event()
        self.max_packet_size = max_packet_size
        self.pending_max_messages = pending_max_messages
        self.pending_max_bytes = pending_max_bytes
        self.stale_after = stale_after
        # What was not sent, by reason (docs/reliability.md): dropped_offline (QoS 0 while away),
        # superseded (a retained topic's older payload, replaced before the broker came back),
        # stale (an event older than stale_after at reconnection), dropped_pending_full (the
        # oldest waiting message, when the store was full), dropped_queue_full (paho's queue full
        # while connected), replayed (waiting messages sent after a reconnection).
        self.counters: Counter[str] = Counter()
        # `_lock` orders publishing against (re)connection: while `_live` is false, publish()
        # keeps QoS 1 messages in `_pending` instead of handing them to paho.
        self._lock = threading.RLock()
        self._live = False
        self._pending = OutageStore(pending_max_messages, pending_max_bytes, self.counters)
        if settings.tls and settings.insecure:
            log.warning(
                "TLS certificate verification is OFF for broker %s (mqtt_tls_insecure): anyone on the "
                "network path can impersonate the broker and read the credentials; give the broker's CA "
                "instead (mqtt_ca_certs / --ca-file)",
                settings.redacted(),
            )
        self.client = self._make_client()

    @property
    def is_v5(self) -> bool:
        return self.protocol == mqtt.MQTTv5

    def _make_client(self) -> mqtt.Client:
        clean_session: bool | None = None if self.is_v5 else True  # None: paho's default (v5 has none)
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=self.protocol,
            clean_session=clean_session,
        )
        s = self.settings
        if s.username:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            try:
                client.tls_set(
                    ca_certs=s.ca_certs, cert_reqs=ssl.CERT_NONE if s.insecure else ssl.CERT_REQUIRED
                )
            except (ssl.SSLError, OSError) as err:
                raise BrokerURLError(
                    f"broker {s.redacted()}: CA file {s.ca_certs!r} is not usable ({err})"
                ) from None
            client.tls_insecure_set(s.insecure)
        if self.will:
            client.will_set(self.will[0], self.will[1], qos=1, retain=True)
        # paho annotates the delays as int; its backoff arithmetic takes seconds as floats
        client.reconnect_delay_set(self.min_backoff, self.reconnect_max)  # type: ignore[arg-type]
        client.max_queued_messages_set(PAHO_MAX_QUEUED)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _connect_properties(self) -> Properties | None:
        if not self.is_v5 or not self.max_packet_size:
            return None
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho leaves Properties.__init__ unannotated
        props.MaximumPacketSize = int(self.max_packet_size)
        return props

    def _connect(self, asynchronous: bool) -> None:
        connect = self.client.connect_async if asynchronous else self.client.connect
        connect(self.settings.host, self.settings.port, keepalive=30, properties=self._connect_properties())

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            if (
                self.is_v5
                and reason_code == UNSUPPORTED_PROTOCOL
                and client is self.client
                and not self.stopping
            ):
                # A 3.1.1 broker answers a v5 CONNECT this way (paho maps its return code 1 to it).
                # Whenever that happens (at start, or when a broker that was down at boot appears),
                # switch to 3.1.1; not here, in paho's network thread, which cannot stop itself.
                log.info("broker %s does not speak MQTT v5; switching to 3.1.1", self.settings.redacted())
                threading.Thread(target=self._fall_back_to_311, name="mqtt-fallback", daemon=True).start()
                return
            self._refused_by_broker(client, reason_code)
            return
        client.reconnect_delay_set(self.min_backoff, self.reconnect_max)  # type: ignore[arg-type]  # floats: see _make_client
        self.connect_count += 1
        after = ""
        if self.refused is not None:
            after = f" after {self.refusals} refused attempt(s) ({self.refused})"
        self.refused, self.refusals, self._refused_delay = None, 0, None
        log.info(
            "connected to %s (MQTT %s)%s%s",
            self.settings.redacted(),
            "5" if self.is_v5 else "3.1.1",
            " again" if self.connect_count > 1 else "",
            after,
        )
        with self._lock:
            self._take_back_paho_backlog(client)
            self._live = True  # from here on a retained topic published anew drops its waiting payload
        # The hook's messages go to paho before the backlog, so availability and the retained state
        # lead. It runs without our lock: it may take a service lock that a publisher holds.
        if self.on_connected:
            try:
                self.on_connected(self)
            except Exception:  # a bug in a hook must not kill paho's network thread
                log.exception("on-connect hook failed")
        with self._lock:
            self._replay_pending()
        self.connected.set()
        self._answered.set()

    def _refused_by_broker(self, client: mqtt.Client, reason_code: ReasonCode) -> None:
        """The broker answered and refused us: retry later and later (it is up, so retrying fast
        would only repeat the refusal), with one log line per change of state, not per attempt.

        paho's own doubling cannot be used: `reconnect_delay_set` restarts it from its minimum,
        so the delay is kept here and handed to paho as both its minimum and maximum.
        """
        self.refusals += 1
        if self._refused_delay is None:
            self._refused_delay = self.refused_backoff
        else:
            self._refused_delay = min(self._refused_delay * 2, self.max_backoff)
        client.reconnect_delay_set(self._refused_delay, self._refused_delay)  # type: ignore[arg-type]  # floats: see _make_client
        reason = str(reason_code)
        if reason != self.refused:
            self.refused = reason
            login = reason_code in (BAD_LOGIN, NOT_AUTHORIZED)
            log.warning(
                "broker %s refused the connection: %s%s; retrying after %g s, doubling up to %g s "
                "(not logged again until this changes)",
                self.settings.redacted(),
                reason,
                " (check the user and the password: --broker-password-file, the config's "
                "mqtt_password_file or $BOBBY_BROKER_PASSWORD)"
                if login
                else "",
                self._refused_delay,
                self.max_backoff,
            )
        else:
            log.debug(
                "broker %s still refuses the connection (%s, %d attempts); next try in %g s",
                self.settings.redacted(),
                reason,
                self.refusals,
                self._refused_delay,
            )
        self._answered.set()

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        """The broker cannot be reached (TCP): after refusals, back to the fast retries."""
        if self.refused is None:
            return
        log.warning(
            "broker %s no longer answers (it refused us %d time(s): %s); retrying every %g s at most",
            self.settings.redacted(),
            self.refusals,
            self.refused,
            self.reconnect_max,
        )
        self.refused, self.refusals, self._refused_delay = None, 0, None
        client.reconnect_delay_set(self.min_backoff, self.reconnect_max)  # type: ignore[arg-type]  # floats: see _make_client

    def _take_back_paho_backlog(self, client: mqtt.Client) -> None:
        """QoS 1 messages paho kept from the last connection join our store, ahead of what came
        after (they are older), so they are coalesced and replayed after the hook's messages.

        paho would re-send them itself right after on_connect, ignoring its in-flight limit and
        before anything the hook publishes once that window is full.
        """
        if hasattr(client, "drop_out_messages"):  # paho 2.2
            leftovers = client.drop_out_messages()
        else:  # paho 2.0 and 2.1 (Home Assistant 2025.4 pins 2.1.0): what 2.2's method does
            with client._out_message_mutex:
                leftovers = list(client._out_messages.values())
                client._out_messages.clear()
        # drop_out_messages() does not reset paho's in-flight count; acknowledgements of what it
        # dropped are ignored, so the count would never come down and every QoS 1 message would
        # wait behind it forever.
        with client._out_message_mutex:
            client._inflight_messages = 0
        if not leftovers:
            return
        now = time.monotonic()
        self._pending.add_before(
            PendingMessage(
                m.topic,
                bytes(m.payload),
                m.qos,
                bool(m.retain),
                m.properties if self.is_v5 else None,
                m.timestamp or now,
            )
            for m in leftovers
        )

    def _replay_pending(self) -> None:
        if not self._pending:
            return
        items = self._pending.take()
        now = time.monotonic()
        sent = stale = 0
        for item in items:
            if not item.retain and now - item.at > self.stale_after:
                stale += 1
                continue
            props = item.properties if self.is_v5 else None
            info = self.client.publish(
                item.topic, item.payload, qos=item.qos, retain=item.retain, properties=props
            )
            if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
                self.counters["dropped_queue_full"] += 1
            else:
                sent += 1
        self.counters["replayed"] += sent
        self.counters["stale"] += stale
        log.info(
            "after the reconnection: %d message(s) kept during the outage sent, %d stale dropped; so far %s",
            sent,
            stale,
            dict(self.counters),
        )

    def _fall_back_to_311(self) -> None:
        old = self.client
        old.loop_stop()
        old.disconnect()
        if self.stopping:
            return
        self.protocol = mqtt.MQTTv311
        self.client = self._make_client()
        self._connect(asynchronous=True)
        self.client.loop_start()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._lock:
            self._live = False
        if self.connected.is_set() and not self.stopping:
            log.warning("lost the broker (%s); reconnecting with backoff", reason_code)
        self.connected.clear()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if self.on_message_cb is None:
            return
        try:
            self.on_message_cb(msg)
        except Exception:
            log.exception("message handler failed on %s", msg.topic)

    def start(self, timeout: float | None = 10.0, *, retry_refused: bool = False) -> None:
        """Connect (falling back to 3.1.1 if the broker refuses v5) and start the network thread.

        With `timeout=None` a broker that is not there yet is waited for in the background; the
        fallback happens whenever a broker refuses v5, so also then. A broker that refuses us (a
        wrong login) raises `BrokerRefused` at once, unless `retry_refused`: then this returns
        and the network thread keeps trying with backoff (a service left running connects once
        the login is fixed on the broker).
        """
        self._answered.clear()
        try:
            self._connect(asynchronous=False)
        except OSError as err:
            if timeout is not None:
                raise ConnectionError(f"cannot reach broker {self.settings.redacted()}: {err}") from err
            log.warning("broker %s not reachable yet (%s); will keep trying", self.settings.redacted(), err)
            self._connect(asynchronous=True)
        self.client.loop_start()
        if timeout is None:
            return
        self._answered.wait(timeout)
        if not self.connected.is_set() and self.refused is not None:
            if retry_refused:
                return
            self.stopping = True
            self.client.disconnect()
            self.client.loop_stop()
            raise BrokerRefused(
                f"broker {self.settings.redacted()} refused the connection: {self.refused}", self.refused
            )
        if not self.connected.wait(0):
            if self.is_v5:
                # A broker that answered nothing to the v5 CONNECT (rather than refusing it).
                log.info("no MQTT v5 connection; trying 3.1.1")
                self.client.loop_stop()
                self.client.disconnect()
                self.protocol = mqtt.MQTTv311
                self.client = self._make_client()
                self.start(timeout, retry_refused=retry_refused)
                return
            raise ConnectionError(f"broker {self.settings.redacted()} did not accept the connection")

    def subscribe(
        self, topic: str, qos: int = 0, no_local: bool = False, subscription_id: int | None = None
    ) -> None:
        """`no_local`: (MQTT v5) the broker does not send back what this client publishes there.
        Without v5 our own messages come back; the caller must tell them apart.
        `subscription_id` (v5): the broker marks what this subscription delivers with it (a
        message's `properties.SubscriptionIdentifier`); a copy that an overlapping shared
        subscription delivers comes separately, without it."""
        if (no_local or subscription_id is not None) and self.is_v5:
            from paho.mqtt.subscribeoptions import SubscribeOptions

            properties = None
            if subscription_id is not None:
                properties = Properties(PacketTypes.SUBSCRIBE)  # type: ignore[no-untyped-call]  # unannotated
                properties.SubscriptionIdentifier = subscription_id
            self.client.subscribe(
                topic, options=SubscribeOptions(qos=qos, noLocal=no_local), properties=properties
            )
        else:
            self.client.subscribe(topic, qos)

    def unsubscribe(self, topic: str) -> None:
        self.client.unsubscribe(topic)

    def publish(
        self,
        topic: str,
        payload: mqtt.PayloadType,
        qos: int = 0,
        retain: bool = False,
        properties: Properties | None = None,
    ) -> mqtt.MQTTMessageInfo:
        """Publish now if connected; otherwise drop QoS 0 and keep QoS 1 for the reconnection.

        Returns paho's MQTTMessageInfo; for a message not handed to paho its `rc` is
        MQTT_ERR_NO_CONN (as paho says for a message it keeps while disconnected).
        """
        if properties is not None and not self.is_v5:
            properties = None
        with self._lock:
            if not self._live:
                if qos == 0:
                    self.counters["dropped_offline"] += 1
                    return _not_sent()
                self._pending.add(
                    PendingMessage(topic, _as_bytes(payload), qos, retain, properties, time.monotonic())
                )
                return _not_sent()
            if retain and self._pending:
                # Published anew while the backlog waits to be replayed (right after a
                # reconnection): the waiting payload is older and must not come after this one.
                self._pending.supersede(topic)
            info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            self.counters["dropped_queue_full"] += 1
        return info

    def pending(self) -> int:
        """Messages waiting for the broker (kept while it was away)."""
        with self._lock:
            return len(self._pending)

    def stop(self, final: tuple[str, str] | None = None, timeout: float = 5.0) -> None:
        """Publish `final` (topic, payload; retained, QoS 1) if connected, then disconnect."""
        self.stopping = True
        if final and self.connected.is_set():
            info = self.client.publish(final[0], final[1], qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()
