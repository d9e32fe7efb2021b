"""`bobby-edge service install|uninstall`: run the camera agent under systemd.

The unit restarts the agent on failure, starts after the network is online, and runs it in a
working directory with its config file. `--user` installs a user unit (no root needed; enable
lingering with `loginctl enable-linger` so it starts at boot without a login).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_NAME = "bobby-camera"


def unit_dir(user: bool) -> Path:
    if user:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        return base / "systemd" / "user"
    return Path("/etc/systemd/system")


def render_unit(
    config: Path, workdir: Path, python: str, user: bool, run_as: str | None, description: str
) -> str:
    """The unit file's text."""
    exec_start = " ".join(
        shlex.quote(a) for a in (python, "-m", "edge_agent", "camera", "--config", str(config))
    )
    lines = [
        "[Unit]",
        f"Description={description}",
        "Documentation=https://github.com/bobby-camera/bobby-camera/blob/main/docs/camera.md",
        "Wants=network-online.target",
        "After=network-online.target",
        # Keep retrying for ever: a camera left alone for months must come back by itself.
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Type=simple",
        f"WorkingDirectory={workdir}",
        f"ExecStart={exec_start}",
        "Restart=on-failure",
        "RestartSec=5",
        # SIGTERM makes the agent publish "offline" and exit 0.
        "KillSignal=SIGTERM",
        "TimeoutStopSec=20",
        "Environment=PYTHONUNBUFFERED=1",
        f"EnvironmentFile=-{workdir / 'bobby.env'}",
    ]
    if not user and run_as:
        # video: the camera devices; render: the Pi's encoder/ISP nodes on recent Raspberry Pi OS.
        lines += [f"User={run_as}", "SupplementaryGroups=video render"]
    lines += ["", "[Install]", f"WantedBy={'default.target' if user else 'multi-user.target'}", ""]
    return "\n".join(lines)


def systemctl(user: bool, *args: str, dry_run: bool = False) -> int:
    cmd = ["systemctl", *(["--user"] if user else []), *args]
    if dry_run or not shutil.which("systemctl"):
        print("would run: " + " ".join(cmd))
        return 0
    result = subprocess.run(cmd, check=False)
    if result.returncode != 0:
        log.error("%s failed with code %d", " ".join(cmd), result.returncode)
    return result.returncode


def register(subparsers) -> None:
    p = subparsers.add_parser("service", help="install or remove the camera agent as a systemd service")
    sub = p.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    inst = sub.add_parser(
        "install", help="write and enable a systemd unit for `bobby-edge camera --config FILE`"
    )
    inst.add_argument(
        "--config", type=Path, required=True, help="the agent's YAML config file (checked first)"
    )
    inst.add_argument(
        "--user", action="store_true", help="a user unit (~/.config/systemd/user) instead of a system one"
    )
    inst.add_argument("--name", default=DEFAULT_NAME, help=f"unit name (default {DEFAULT_NAME})")
    inst.add_argument("--workdir", type=Path, help="working directory (default: the config file's directory)")
    inst.add_argument(
        "--run-as", help="system units: the user to run as (default: the one running sudo, else root)"
    )
    inst.add_argument("--unit-dir", type=Path, help=argparse.SUPPRESS)
    inst.add_argument("--no-enable", action="store_true", help="write the unit but do not enable or start it")
    inst.set_defaults(func=run_install)
    rm = sub.add_parser("uninstall", help="stop, disable and delete the unit")
    rm.add_argument("--user", action="store_true")
    rm.add_argument("--name", default=DEFAULT_NAME)
    rm.add_argument("--unit-dir", type=Path, help=argparse.SUPPRESS)
    rm.add_argument("--no-enable", action="store_true", help=argparse.SUPPRESS)
    rm.set_defaults(func=run_uninstall)


def run_install(args: argparse.Namespace) -> int:
    from edge_agent.deploy.config_check import check_file
    from edge_agent.settings import SettingsError

    config = args.config.expanduser().resolve()
    try:
        cfg = check_file(config)
    except SettingsError as err:
        print(f"not installing: {err}", file=sys.stderr)
        return 1
    workdir = (args.workdir or config.parent).expanduser().resolve()
    run_as = args.run_as or os.environ.get("SUDO_USER") or (None if args.user else getpass.getuser())
    text = render_unit(
        config, workdir, sys.executable, args.user, run_as, f"Bobby camera {cfg['camera_id']} ({cfg['mode']})"
    )
    directory = args.unit_dir or unit_dir(args.user)
    path = directory / f"{args.name}.service"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as err:
        print(f"cannot write {path}: {err} (system units need sudo; or use --user)", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    if args.no_enable:
        return 0
    dry = args.unit_dir is not None
    for step in (("daemon-reload",), ("enable", "--now", f"{args.name}.service")):
        if systemctl(args.user, *step, dry_run=dry) != 0:
            return 1
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    directory = args.unit_dir or unit_dir(args.user)
    path = directory / f"{args.name}.service"
    dry = args.unit_dir is not None
    if path.exists():
        systemctl(args.user, "disable", "--now", f"{args.name}.service", dry_run=dry)
        path.unlink()
        print(f"removed {path}")
    else:
        print(f"{path} does not exist; nothing to remove")
    return systemctl(args.user, "daemon-reload", dry_run=dry)
