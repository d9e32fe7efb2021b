"""`bobby-edge listen-frame`: run the detector for dumb cameras until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import signal
from types import FrameType
from typing import TYPE_CHECKING

import voluptuous as vol

from edge_agent.camera.config import base_topic, camera_id
from edge_agent.camera.hosted import CAMERAS
from edge_agent.ids import INSTANCE_RULE, MAX_ROIS, valid_instance
from edge_agent.mqtt.broker import warn_password_on_command_line
from edge_agent.settings import (
    LOGIN_KEYS,
    SettingsError,
    add_common_args,
    add_password_file_arg,
    broker_settings,
    broker_url,
    resolve,
)

if TYPE_CHECKING:
    from edge_agent.camera.hosted import CameraHost
    from edge_agent.events.settings import RecordingSettings
    from edge_agent.listen_frame.service import ListenFrame
    from edge_agent.listen_frame.state import ListenFrameConfig

log = logging.getLogger("edge_agent.listen_frame")
CA_ENV = "BOBBY_MQTT_CA_FILE"


def recording_section(value: object) -> RecordingSettings:
    from edge_agent.events.settings import validate_recording

    try:
        return validate_recording(value)
    except ValueError as err:
        raise vol.Invalid(str(err)) from err


def instance_name(value: object) -> str:
    if not valid_instance(value):
        raise vol.Invalid(f"expected {INSTANCE_RULE}")
    return str(value)


SCHEMA = vol.Schema(
    {
        # The broker and its login, as every command reads them (settings.broker_settings); a
        # password in --broker shows in the process list.
        vol.Optional("broker", default="mqtt://localhost:1883"): broker_url,
        **LOGIN_KEYS,
        # The same as mqtt_password_file (this command's name for it before there was one login story).
        vol.Optional("broker_password_file"): vol.Any(None, str),
        vol.Optional("mqtt_tls", default=False): bool,
        vol.Optional("mqtt_ca_certs"): vol.Any(None, vol.IsFile(msg="expected a readable CA file")),
        vol.Optional("mqtt_tls_insecure", default=False): bool,
        vol.Optional("base_topic", default="bobby"): base_topic,
        vol.Optional("instance"): instance_name,
        vol.Optional("share_group"): vol.Any(None, instance_name),
        vol.Optional("workers", default=0): vol.All(vol.Coerce(int), vol.Range(min=0, max=64)),
        vol.Optional("threads", default=1): vol.All(vol.Coerce(int), vol.Range(min=1, max=16)),
        vol.Optional("model"): vol.Any(None, str),
        vol.Optional("labels"): vol.Any(None, str),
        vol.Optional("threshold", default=0.5): vol.All(vol.Coerce(float), vol.Range(min=0.01, max=1.0)),
        vol.Optional("motion_gate", default=True): bool,
        vol.Optional("max_payload", default=2 * 1024 * 1024): vol.All(vol.Coerce(int), vol.Range(min=1024)),
        vol.Optional("discovery", default=True): bool,
        vol.Optional("discovery_prefix", default="homeassistant"): str,
        vol.Optional("stats_interval", default=10.0): vol.All(
            vol.Coerce(float), vol.Range(min=0.5, max=3600)
        ),
        # During a visit, at most one last-person snapshot this often (the first at once): a
        # readable logbook, and few images in HA's recorder.
        vol.Optional("snapshot_interval", default=30.0): vol.All(
            vol.Coerce(float), vol.Range(min=1.0, max=3600)
        ),
        # Which cameras are served (docs/listen_frame.md): announced ones, at most max_cameras, or
        # only those named in allow_cameras; gone ones are forgotten after forget_after_hours.
        vol.Optional("max_cameras", default=64): vol.All(vol.Coerce(int), vol.Range(min=1, max=4096)),
        vol.Optional("allow_cameras"): vol.Any(None, [camera_id]),
        vol.Optional("forget_after_hours", default=168.0): vol.All(
            vol.Coerce(float), vol.Range(min=0.001, max=24 * 365)
        ),
        vol.Optional("max_rois", default=MAX_ROIS): vol.All(vol.Coerce(int), vol.Range(min=1, max=256)),
        vol.Optional("max_megapixels", default=16.0): vol.All(
            vol.Coerce(float), vol.Range(min=0.1, max=100.0)
        ),
        # A worker on one frame longer than max(factor x its usual job, min seconds) is hung.
        vol.Optional("job_deadline_factor", default=10.0): vol.All(
            vol.Coerce(float), vol.Range(min=2.0, max=1000.0)
        ),
        vol.Optional("job_deadline_min", default=5.0): vol.All(
            vol.Coerce(float), vol.Range(min=0.5, max=600.0)
        ),
        # Clips and snapshots of visits (docs/listen_frame.md, "Recording"): a mapping
        # (enabled, directory, pre_roll, ...), checked by events/settings.validate_recording.
        vol.Optional("recording"): vol.Any(None, recording_section),
        # IP cameras run by this process as dumb cameras, each in a supervised child
        # (camera/hosted.py; docs/listen_frame.md, "Cameras in the same process"). Config file
        # only: a source URL may hold a password, which must not be on a command line.
        vol.Optional("cameras", default=list): CAMERAS,
    }
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "listen-frame",
        help="detect people in dumb cameras' frames (MQTT in, detections out)",
        description="Subscribe to <base>/+/frame, detect people in worker processes, publish "
        "detections, debounced person state, snapshots, stats and Home Assistant discovery.",
    )
    add_common_args(p)
    add_password_file_arg(p)
    p.add_argument(
        "--ca-file",
        dest="mqtt_ca_certs",
        help=f"CA certificate(s) to verify an mqtts:// broker with (also ${CA_ENV}; default: the system's)",
    )
    p.add_argument("--instance", help="this instance's name in topics (default: the host name)")
    p.add_argument(
        "--share-group", help="MQTT v5 shared-subscription group: instances in one group share frames"
    )
    p.add_argument("--workers", type=int, help="detector processes (default 0: one per core)")
    p.add_argument("--threads", type=int, help="TFLite threads per worker (default 1)")
    p.add_argument("--model", help="TFLite SSD model (default $BOBBY_MODEL or the downloaded one)")
    p.add_argument("--labels", help="label file (default: beside the model or inside it)")
    p.add_argument(
        "--threshold", type=float, help="default minimum score until a camera's ROI set says (0.5)"
    )
    p.add_argument(
        "--no-motion-gate",
        dest="motion_gate",
        action="store_const",
        const=False,
        help="infer every frame until a camera's ROI set turns its motion gate on (default: gate on)",
    )
    p.add_argument("--max-payload", type=int, help="largest frame accepted, in bytes (default 2 MiB)")
    p.add_argument("--discovery-prefix", help="Home Assistant discovery prefix (default homeassistant)")
    p.add_argument(
        "--no-discovery", dest="discovery", action="store_const", const=False, help="publish no HA discovery"
    )
    p.add_argument("--stats-interval", type=float, help="seconds between stats messages (default 10)")
    p.add_argument(
        "--snapshot-interval",
        type=float,
        help="during a visit, at most one last-person snapshot this often (30 s; the first at once)",
    )
    p.add_argument("--max-cameras", type=int, help="cameras served at most (default 64)")
    p.add_argument(
        "--allow-camera",
        dest="allow_cameras",
        action="append",
        metavar="ID",
        help="serve this camera (repeat for more); then no other camera is served, announced or not",
    )
    p.add_argument(
        "--forget-after-hours",
        type=float,
        help="a camera offline without a frame this long is forgotten, its HA entities removed (168)",
    )
    p.add_argument("--max-rois", type=int, help=f"regions an ROI set may have (default {MAX_ROIS})")
    p.add_argument(
        "--max-megapixels",
        type=float,
        help="frames whose JPEG header declares more pixels are refused before decoding (default 16)",
    )
    p.add_argument(
        "--job-deadline-factor",
        type=float,
        help="a worker on one frame for longer than this many times its usual job (and than "
        "--job-deadline-min) is hung: killed and replaced (default 10)",
    )
    p.add_argument(
        "--job-deadline-min",
        type=float,
        help="the shortest job deadline, in seconds (default 5)",
    )
    p.add_argument(
        "--record-dir",
        help="record each visit's clip and snapshots under DIR/<camera>/ (recording.enabled and "
        "recording.directory of the config file; docs/listen_frame.md, Recording)",
    )
    p.add_argument("--record-days", type=float, help="recorded visits are kept this long (7; 0: no limit)")
    p.add_argument(
        "--record-max-mb", type=float, help="recorded visits of a camera, at most (2048 MB; 0: no cap)"
    )
    p.add_argument(
        "--record-min-free-mb",
        type=float,
        help="free space kept: the smaller of this and 10%% of the disk (1024 MB; 0: no floor)",
    )
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> ListenFrameConfig:
    from edge_agent.detect.model import resolve_model
    from edge_agent.listen_frame.state import ListenFrameConfig

    if getattr(args, "mqtt_ca_certs", None) is None and os.environ.get(CA_ENV):
        args.mqtt_ca_certs = os.environ[CA_ENV]  # file < environment < flag
    s = resolve(args, SCHEMA)
    extra = {k: s[k] for k in ("instance",) if s.get(k)}
    return ListenFrameConfig(
        broker=broker_settings(s),
        model_path=str(resolve_model(s.get("model"))),
        labels_path=s.get("labels"),
        base_topic=s["base_topic"],
        share_group=s.get("share_group"),
        workers=s["workers"],
        threads=s["threads"],
        threshold=s["threshold"],
        motion_gate=s["motion_gate"],
        max_payload=s["max_payload"],
        discovery=s["discovery"],
        discovery_prefix=s["discovery_prefix"],
        stats_interval=s["stats_interval"],
        snapshot_interval=s["snapshot_interval"],
        max_cameras=s["max_cameras"],
        allow_cameras=frozenset(s["allow_cameras"]) if s.get("allow_cameras") else None,
        forget_after=s["forget_after_hours"] * 3600.0,
        max_rois=s["max_rois"],
        max_megapixels=s["max_megapixels"],
        job_deadline_factor=s["job_deadline_factor"],
        job_deadline_min=s["job_deadline_min"],
        recording=recording_settings(s.get("recording"), args),
        **extra,
    )


def recording_settings(section: RecordingSettings | None, args: argparse.Namespace) -> RecordingSettings:
    """The config file's `recording:` section, the flags winning over it."""
    from edge_agent.events.settings import RecordingSettings, validate_recording

    settings = section or RecordingSettings()
    flags = {
        "directory": getattr(args, "record_dir", None),
        "max_age_days": getattr(args, "record_days", None),
        "max_mb": getattr(args, "record_max_mb", None),
        "min_free_mb": getattr(args, "record_min_free_mb", None),
    }
    given = {k: v for k, v in flags.items() if v is not None}
    if given.get("directory"):
        given["enabled"] = True
    if not given:
        return settings
    try:
        return validate_recording({**settings.__dict__, **given})
    except ValueError as err:
        raise SettingsError(str(err)) from None


def run(args: argparse.Namespace) -> int:
    from edge_agent.detect.detector import ModelError
    from edge_agent.listen_frame.pool import WorkerStartError
    from edge_agent.listen_frame.service import ListenFrame

    warn_password_on_command_line(getattr(args, "broker", None), log)
    try:
        config = config_from_args(args)
    except (SettingsError, ModelError) as err:
        log.error("%s", err)
        return 2
    service = ListenFrame(config)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s", signal.Signals(signum).name)
        service.stop_event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        service.start(connect_timeout=None)
    except WorkerStartError as err:
        log.error("%s", err)
        return 2
    host = start_cameras(args, config)
    if host is not None:
        publish_cameras(service, host)
    try:
        service.serve_forever()
    finally:
        if host is not None:
            host.stop()
        service.stop()
    return service.exit_code


def start_cameras(args: argparse.Namespace, config: ListenFrameConfig) -> CameraHost | None:
    """The config's `cameras`, each started in its own supervised process; None without any."""
    from edge_agent.camera.hosted import CameraHost, HostedCamera

    cameras = [HostedCamera(**entry) for entry in resolve(args, SCHEMA)["cameras"]]
    if not cameras:
        return None
    host = CameraHost(cameras, config.broker, config.base_topic)
    host.start()
    return host


def publish_cameras(service: ListenFrame, host: CameraHost) -> None:
    """The hosted cameras' state goes out in the service stats (docs/mqtt.md, stats: `hosted`)."""
    from edge_agent.listen_frame.stats import hosted_stats

    service.hosted_status = lambda: hosted_stats(host.status(), host.secrets)
