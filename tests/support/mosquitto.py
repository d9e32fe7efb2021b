"""The tests' broker: the same local Mosquitto that `bobby-edge demo` starts."""

from edge_agent.tools.local_broker import Mosquitto, free_port

__all__ = ["Mosquitto", "free_port"]
