"""QoS 1 messages kept while the broker is away, until `ManagedClient` reconnects.

Bounded (messages and bytes; the oldest goes first, counted `dropped_pending_full`). A retained
topic keeps only its newest payload (the older one is counted `superseded`, never replayed); a
non-retained message (an event) is kept in order, and the client drops it at the reconnection
when it is older than its `stale_after`. Not thread-safe: the client's lock guards it.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from paho.mqtt.properties import Properties


@dataclass
class PendingMessage:
    """A QoS 1 message waiting for the broker to come back."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: Properties | None
    at: float  # time.monotonic() when it was published

    @property
    def size(self) -> int:
        return len(self.payload) + len(self.topic)


class OutageStore:
    def __init__(self, max_messages: int, max_bytes: int, counters: Counter[str]) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.counters = counters  # the client's: superseded, dropped_pending_full
        self._items: OrderedDict[object, PendingMessage] = OrderedDict()
        self.bytes = 0
        self._seq = 0  # keys of non-retained messages

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: PendingMessage) -> None:
        key: object
        if item.retain:
            key = ("r", item.topic)
            self.supersede(item.topic)
        else:
            self._seq += 1
            key = ("e", self._seq)
        self._items[key] = item
        self.bytes += item.size
        while self._items and (len(self._items) > self.max_messages or self.bytes > self.max_bytes):
            _, dropped = self._items.popitem(last=False)
            self.bytes -= dropped.size
            self.counters["dropped_pending_full"] += 1

    def supersede(self, topic: str) -> None:
        """A retained topic published anew: its waiting payload is older and is dropped."""
        old = self._items.pop(("r", topic), None)
        if old is not None:
            self.bytes -= old.size
            self.counters["superseded"] += 1

    def add_before(self, older: Iterable[PendingMessage]) -> None:
        """Messages older than everything stored (paho's backlog of the last connection) go first."""
        later = list(self._items.values())
        self._items.clear()
        self.bytes = 0
        for item in older:
            self.add(item)
        for item in later:
            self.add(item)

    def take(self) -> list[PendingMessage]:
        """Everything, oldest first; the store is empty afterwards."""
        items = list(self._items.values())
        self._items.clear()
        self.bytes = 0
        return items
