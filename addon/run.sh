#!/usr/bin/with-contenv bashio
# with-contenv: the container environment ($SUPERVISOR_TOKEN, $BOBBY_MODEL) for this script.
# Options and the broker are read by the Python entry point (edge_agent/deploy/addon.py), which is tested.
bashio::log.info "Starting listen_frame"
exec bobby-edge addon --options /data/options.json --supervisor-url http://supervisor
