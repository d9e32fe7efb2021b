"""The `network` of the ESP32 port, for the host tests: a station and an access point that a test
can take away (`drop()`, the radio link is gone) and bring back (`restore()`)."""

import threading
import time as _time

import usocket

STA_IF = 0
AP_IF = 1
STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010

_lock = threading.Lock()


class _AccessPoint:
    def __init__(self):
        self.ssid = "bobby-test"
        self.password = "secret-test"
        self.up = True
        self.rssi = -61
        self.assoc_s = 0.05


ap = _AccessPoint()
_hostname = ["esp32"]


class WLAN:
    _stations = {}

    def __new__(cls, interface=STA_IF):
        # One object per interface, as on the board.
        with _lock:
            if interface not in cls._stations:
                obj = super().__new__(cls)
                obj._init(interface)
                cls._stations[interface] = obj
            return cls._stations[interface]

    def _init(self, interface):
        self.interface = interface
        self._active = False
        self._target = None  # (ssid, password) of the last connect()
        self._ready_at = None
        self._connected = False
        self.connects = 0
        self._config = {}

    def active(self, flag=None):
        if flag is None:
            return self._active
        self._active = bool(flag)
        if not flag:
            self.disconnect()
        return None

    def connect(self, ssid=None, password=None):
        if not self._active:
            raise OSError("Wifi Not Started")
        self.connects += 1
        self._target = (ssid, password)
        self._ready_at = _time.monotonic() + ap.assoc_s
        self._connected = False

    def disconnect(self):
        self._target = None
        self._connected = False

    def isconnected(self):
        with _lock:
            if self._connected and not ap.up:
                self._connected = False
            if not self._connected and self._target is not None and ap.up:
                if self._target == (ap.ssid, ap.password) and _time.monotonic() >= self._ready_at:
                    self._connected = True
            return self._connected

    def status(self, param=None):
        if param == "rssi":
            return ap.rssi
        if param is None:
            return STAT_GOT_IP if self.isconnected() else STAT_CONNECTING if self._target else STAT_IDLE
        raise ValueError("unknown status param")

    def ifconfig(self, config=None):
        return ("10.0.0.42", "255.255.255.0", "10.0.0.1", "10.0.0.1")

    def config(self, *args, **kw):
        if args:
            return self._config.get(args[0])
        self._config.update(kw)
        return None


def hostname(name=None):
    if name is None:
        return _hostname[0]
    _hostname[0] = name
    return None


def drop():
    """The access point is gone: the station loses its link and its sockets stop working."""
    with _lock:
        ap.up = False
    usocket._abort_all()


def restore():
    with _lock:
        ap.up = True


def _reset_fakes():
    global ap
    with _lock:
        ap = _AccessPoint()
        WLAN._stations.clear()
