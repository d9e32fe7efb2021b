"""Broker settings (`mqtt://user:password@host:port`, `mqtts://` for TLS) and a paho client that
reconnects by itself.

paho-mqtt 2.x does the protocol work; this module only adds what every Bobby service needs the
same way: the URL form, the Last Will, MQTT v5 with a fallback to 3.1.1, automatic reconnection with
backoff and a hook to re-subscribe and republish retained state after each (re)connection.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger(__name__)

BROKER_ENV = "BOBBY_BROKER"
DEFAULT_BROKER = "mqtt://localhost:1883"


# What paho reports when a broker refuses the protocol version (v5 reason code 132).
UNSUPPORTED_PROTOCOL = 132


class BrokerURLError(ValueError):
    pass


@dataclass(frozen=True)
class BrokerSettings:
    host: str = "localhost"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_certs: str | None = None
    insecure: bool = False

    @classmethod
    def from_url(cls, url: str) -> BrokerSettings:
        """Parse `mqtt[s]://[user[:password]@]host[:port]`."""
        parts = urlsplit(url if "://" in url else f"mqtt://{url}")
        if parts.scheme not in ("mqtt", "mqtts"):
            raise BrokerURLError(f"broker URL {url!r}: scheme must be mqtt:// or mqtts://")
        if not parts.hostname:
            raise BrokerURLError(f"broker URL {url!r}: no host")
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError as err:
            raise BrokerURLError(f"broker URL {url!r}: {err}") from None
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )

    @classmethod
    def resolve(cls, url: str | None) -> BrokerSettings:
        """The URL given, else $BOBBY_BROKER, else localhost."""
        return cls.from_url(url or os.environ.get(BROKER_ENV) or DEFAULT_BROKER)

    def redacted(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def user_properties(**values: str) -> Properties:
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = [(k, str(v)) for k, v in values.items()]
    return props


class ManagedClient:
    """A paho client with Last Will, v5→3.1.1 fallback, backoff and an on-connect hook.

    `on_connected` runs after every successful (re)connection, in paho's network thread: that is
    where a service subscribes and republishes its retained state.
    """

    def __init__(
        self,
        settings: BrokerSettings,
        client_id: str,
        *,
        will: tuple[str, str] | None = None,
        on_connected: Callable[[ManagedClient], None] | None = None,
        on_message: Callable[[mqtt.MQTTMessage], None] | None = None,
        protocol: int = mqtt.MQTTv5,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
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
        self.client = self._make_client()

    @property
    def is_v5(self) -> bool:
        return self.protocol == mqtt.MQTTv5

    def _make_client(self) -> mqtt.Client:
        kwargs = {} if self.is_v5 else {"clean_session": True}
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=self.protocol, **kwargs
        )
        s = self.settings
        if s.username:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            client.tls_set(ca_certs=s.ca_certs, cert_reqs=ssl.CERT_NONE if s.insecure else ssl.CERT_REQUIRED)
            client.tls_insecure_set(s.insecure)
        if self.will:
            client.will_set(self.will[0], self.will[1], qos=1, retain=True)
        client.reconnect_delay_set(self.min_backoff, self.max_backoff)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
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
            log.warning("broker %s refused the connection: %s", self.settings.redacted(), reason_code)
            return
        self.connect_count += 1
        log.info(
            "connected to %s (MQTT %s)%s",
            self.settings.redacted(),
            "5" if self.is_v5 else "3.1.1",
            " again" if self.connect_count > 1 else "",
        )
        if self.on_connected:
            try:
                self.on_connected(self)
            except Exception:  # a bug in a hook must not kill paho's network thread
                log.exception("on-connect hook failed")
        self.connected.set()

    def _fall_back_to_311(self) -> None:
        old = self.client
        old.loop_stop()
        old.disconnect()
        if self.stopping:
            return
        self.protocol = mqtt.MQTTv311
        self.client = self._make_client()
        self.client.connect_async(self.settings.host, self.settings.port, keepalive=30)
        self.client.loop_start()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self.connected.is_set() and not self.stopping:
            log.warning("lost the broker (%s); reconnecting with backoff", reason_code)
        self.connected.clear()

    def _on_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:
        if self.on_message_cb is None:
            return
        try:
            self.on_message_cb(msg)
        except Exception:
            log.exception("message handler failed on %s", msg.topic)

    def start(self, timeout: float | None = 10.0) -> None:
        """Connect (falling back to 3.1.1 if the broker refuses v5) and start the network thread.

        With `timeout=None` a broker that is not there yet is waited for in the background; the
        fallback happens whenever a broker refuses v5, so also then.
        """
        try:
            self.client.connect(self.settings.host, self.settings.port, keepalive=30)
        except OSError as err:
            if timeout is not None:
                raise ConnectionError(f"cannot reach broker {self.settings.redacted()}: {err}") from err
            log.warning("broker %s not reachable yet (%s); will keep trying", self.settings.redacted(), err)
            self.client.connect_async(self.settings.host, self.settings.port, keepalive=30)
        self.client.loop_start()
        if timeout is None:
            return
        if not self.connected.wait(timeout):
            if self.is_v5:
                # A broker that answered nothing to the v5 CONNECT (rather than refusing it).
                log.info("no MQTT v5 connection; trying 3.1.1")
                self.client.loop_stop()
                self.client.disconnect()
                self.protocol = mqtt.MQTTv311
                self.client = self._make_client()
                self.start(timeout)
                return
            raise ConnectionError(f"broker {self.settings.redacted()} did not accept the connection")

    def subscribe(self, topic: str, qos: int = 0) -> None:
        self.client.subscribe(topic, qos)

    def publish(self, topic: str, payload, qos: int = 0, retain: bool = False, properties=None):
        if properties is not None and not self.is_v5:
            properties = None
        return self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)

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
