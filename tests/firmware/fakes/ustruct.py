"""MicroPython's `ustruct` is CPython's `struct` (umqtt.simple imports it by that name)."""

from struct import *  # noqa: F403
