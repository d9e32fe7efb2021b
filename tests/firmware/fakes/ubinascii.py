"""MicroPython's `ubinascii` is CPython's `binascii` (umqtt.simple imports it by that name)."""

from binascii import *  # noqa: F403
