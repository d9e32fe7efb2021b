"""The HA environment resolves host names: aiodns and pycares agree (issue 9, item 5).

HA 2025.4.4 pins aiodns 3.2.0, which calls pycares 4's Channel.getaddrinfo(); with pycares 5 each
lookup raised TypeError, so anything in .venv-ha fetching http://<hostname>/ failed.
"""

from __future__ import annotations

import socket

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession


async def test_localhost_resolves_through_has_resolver(hass: HomeAssistant) -> None:
    session = async_get_clientsession(hass)
    # The resolver HA built its connector with (the harness swaps HA's mDNS wrapper for the plain
    # aiodns AsyncResolver it delegates unicast names to, so this is the aiodns/pycares path).
    resolver = session.connector._resolver  # type: ignore[union-attr]
    hosts = await resolver.resolve("localhost", 8123, family=socket.AF_INET)
    assert [(h["host"], h["port"]) for h in hosts] == [("127.0.0.1", 8123)]
