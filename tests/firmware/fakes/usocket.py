"""MicroPython's `usocket` on CPython: the socket has the stream methods umqtt.simple calls.

MicroPython semantics kept: a blocking read(n) returns n bytes (fewer only at end of stream), a
non-blocking read returns None when nothing is there, write(buf, n) writes the first n bytes.
`_abort_all()` is the Wi-Fi going away: the sockets stop working at once, but nothing reaches
the broker (no FIN), which then learns of it only from the keepalive, as with a real radio link.
"""

import errno
import socket as _socket
import threading

AF_INET = _socket.AF_INET
SOCK_STREAM = _socket.SOCK_STREAM
SOL_SOCKET = _socket.SOL_SOCKET
SO_REUSEADDR = _socket.SO_REUSEADDR
getaddrinfo = _socket.getaddrinfo

_lock = threading.Lock()
# The largest block the heap can give (None: no limit). MicroPython allocates a read(n)'s n bytes
# at once and raises MemoryError when no free block is that large; an ESP32 without PSRAM has
# about 100 kB.
_largest_block = None
_live = []  # sockets of the current link
_graveyard = []  # real sockets of a dropped link, kept open (closing them would send a FIN)


class socket:
    def __init__(self, af=AF_INET, type=SOCK_STREAM, proto=0):
        self._s = _socket.socket(af, type, proto)
        self._dead = False
        with _lock:
            _live.append(self)

    def _check(self):
        if self._dead:
            raise OSError(errno.ECONNABORTED, "link down")

    def connect(self, addr):
        self._check()
        self._s.connect(addr)

    def setblocking(self, flag):
        if not self._dead:
            self._s.setblocking(flag)

    def settimeout(self, t):
        if not self._dead:
            self._s.settimeout(t)

    def read(self, n=-1):
        self._check()
        if _largest_block is not None and n > _largest_block:
            raise MemoryError("memory allocation failed, allocating %d bytes" % n)
        if n < 0:
            n = 1 << 20
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = self._s.recv(n - len(buf))
            except BlockingIOError:
                return bytes(buf) if buf else None
            except _socket.timeout:
                raise OSError(errno.ETIMEDOUT, "timed out")
            if not chunk:
                break
            buf += chunk
        return bytes(buf)

    def write(self, buf, n=None):
        self._check()
        if isinstance(buf, str):
            buf = buf.encode()
        data = memoryview(buf)
        if n is not None:
            data = data[:n]
        self._s.sendall(data)
        return len(data)

    def close(self):
        with _lock:
            if self in _live:
                _live.remove(self)
        if not self._dead:
            self._s.close()


def _set_heap(largest_block):
    global _largest_block
    _largest_block = largest_block


def _abort_all():
    """The link is gone: every socket fails from now on; the broker is not told."""
    with _lock:
        for s in _live:
            s._dead = True
            _graveyard.append(s._s)
        _live.clear()


def _bury():
    """End of a test: really close what a dropped link left open."""
    with _lock:
        for s in _graveyard:
            s.close()
        _graveyard.clear()
        for s in _live:
            s._s.close()
        _live.clear()
