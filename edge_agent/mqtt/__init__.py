"""MQTT: the managed client, topics, messages, HA discovery and the per-camera channel."""
