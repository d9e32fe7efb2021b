# The Wi-Fi station: every call into `network` is here.

import network
import utime

CONNECT_TIMEOUT_MS = 20000


class Wifi:
    def __init__(self, ssid, password, hostname=None):
        self.ssid = ssid
        self.password = password
        self.wlan = network.WLAN(network.STA_IF)
        self.hostname = hostname

    def isconnected(self):
        return self.wlan.isconnected()

    def connect(self, feed, keep_going):
        """Associate and get an address within CONNECT_TIMEOUT_MS; True on success.

        feed() is called while waiting (the watchdog), keep_going() says whether to go on waiting.
        """
        wlan = self.wlan
        wlan.active(True)
        if wlan.isconnected():
            return True
        if self.hostname:
            self._set_hostname()
        try:
            # A connect() while the driver is still trying raises "Wifi Internal Error": start clean.
            wlan.disconnect()
            wlan.connect(self.ssid, self.password)
        except OSError as e:
            print("wifi: connect failed: %r" % (e,))
            return False
        start = utime.ticks_ms()
        while not wlan.isconnected():
            feed()
            if not keep_going() or utime.ticks_diff(utime.ticks_ms(), start) > CONNECT_TIMEOUT_MS:
                wlan.disconnect()
                return False
            utime.sleep_ms(100)
        return True

    def _set_hostname(self):
        # network.hostname() since MicroPython 1.20; WLAN.config(dhcp_hostname=) before. Cosmetic
        # (the name in the router's list), so a failure is not an error.
        try:
            if hasattr(network, "hostname"):
                network.hostname(self.hostname)
            else:
                self.wlan.config(dhcp_hostname=self.hostname)
        except (OSError, ValueError):
            pass

    def rssi(self):
        """Signal strength in dBm, None when not connected."""
        if not self.wlan.isconnected():
            return None
        try:
            return self.wlan.status("rssi")
        except (OSError, ValueError):
            return None

    def ip(self):
        return self.wlan.ifconfig()[0]
