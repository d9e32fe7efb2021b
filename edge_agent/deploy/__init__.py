"""Deployment: the Home Assistant add-on entry, systemd unit and config check."""
