"""listen_frame: person detection for dumb cameras, over MQTT, in worker processes."""
