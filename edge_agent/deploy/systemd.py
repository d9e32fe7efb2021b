"""`bobby-edge service install|uninstall`: run the camera agent under systemd, hardened.

The unit restarts the agent on failure, starts after the network is online, and runs it in a
working directory with its config file. A system unit runs as a dedicated unprivileged user
(`bobby`, created by the install command unless `--run-as` names another one) with a read-only
view of the system (`ProtectSystem=strict`): only its state directory (`/var/lib/bobby`), the
recording directory and a configured `state_dir` are writable. It is `Type=notify` with a
`WatchdogSec`: the agent tells systemd when it is ready and then keeps pinging the watchdog
(`edge_agent/sd_notify.py`, over `$NOTIFY_SOCKET`), and systemd restarts an agent that stops
pinging.
`--user` installs a user unit (no root needed; enable lingering with `loginctl enable-linger` so it
starts at boot without a login).
"""

from __future__ import annotations

import argparse
import logging
import os
import pwd
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge_agent.camera.config import CameraConfig

log = logging.getLogger(__name__)

DEFAULT_NAME = "bobby-camera"
SERVICE_USER = "bobby"  # the dedicated user of system units
STATE_DIRECTORY = "bobby"  # /var/lib/bobby, made and owned for the service user by systemd
WATCHDOG_SEC = 60  # the agent pings every WATCHDOG_SEC / 3 (see Watchdog)

# --- the unit -----------------------------------------------------------------------------------


def unit_dir(user: bool) -> Path:
    if user:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        return base / "systemd" / "user"
    return Path("/etc/systemd/system")


def _under_home(path: Path) -> bool:
    return path.is_relative_to("/home") or path.is_relative_to("/root") or path.is_relative_to("/run/user")


def writable_dirs(cfg: CameraConfig) -> list[Path]:
    """What the agent writes besides its StateDirectory: recordings, a configured state_dir."""
    dirs = []
    if cfg.record and cfg.record_dir:
        dirs.append(Path(cfg.record_dir).expanduser())
    if cfg.state_dir:
        dirs.append(Path(cfg.state_dir).expanduser())
    return dirs


def render_unit(
    config: Path,
    workdir: Path,
    python: str,
    user: bool,
    run_as: str | None,
    description: str,
    writable: Sequence[Path] = (),
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
        # READY=1 once the agent runs; then a ping every WatchdogSec / 3, or systemd restarts it.
        "Type=notify",
        "NotifyAccess=main",
        f"WatchdogSec={WATCHDOG_SEC}",
        f"WorkingDirectory={workdir}",
        f"ExecStart={exec_start}",
        "Restart=on-failure",
        "RestartSec=5",
        # SIGTERM makes the agent publish "offline" and exit 0.
        "KillSignal=SIGTERM",
        "TimeoutStopSec=20",
        "Environment=PYTHONUNBUFFERED=1",
        f"EnvironmentFile=-{workdir / 'bobby.env'}",
        "NoNewPrivileges=yes",
    ]
    if not user:
        if run_as:
            # video: the camera devices; render: the Pi's encoder/ISP nodes on recent Raspberry Pi OS.
            lines += [f"User={run_as}", "SupplementaryGroups=video render"]
        # The programs, config and venv are read-only; a venv or config in a home directory (the
        # Pi set-up's ~/bobby) stays readable, any other home is hidden.
        paths = [Path(python), config, workdir, *writable]
        lines += [
            "ProtectSystem=strict",
            f"ProtectHome={'read-only' if any(_under_home(p) for p in paths) else 'yes'}",
            "PrivateTmp=yes",
            # The default state_dir ($XDG_STATE_HOME/bobby-edge): /var/lib/bobby/bobby-edge.
            f"StateDirectory={STATE_DIRECTORY}",
            f"Environment=XDG_STATE_HOME=/var/lib/{STATE_DIRECTORY}",
            # '-': a missing directory does not stop the unit (the agent reports it), and install
            # creates them for the service user.
            *(f"ReadWritePaths=-{d}" for d in writable),
            "ProtectKernelTunables=yes",
            "ProtectKernelModules=yes",
            "ProtectKernelLogs=yes",
            "ProtectControlGroups=yes",
            "ProtectClock=yes",
            "ProtectHostname=yes",
            "RestrictSUIDSGID=yes",
            "RestrictRealtime=yes",
            "RestrictNamespaces=yes",
            "LockPersonality=yes",
            "SystemCallArchitectures=native",
            # MQTT and the live view (IPv4/6), the detector's pipes (unix), udev for cameras (netlink).
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
            "UMask=0027",
        ]
    lines += ["", "[Install]", f"WantedBy={'default.target' if user else 'multi-user.target'}", ""]
    return "\n".join(lines)


def systemctl(user: bool, *args: str, dry_run: bool = False) -> int:
    cmd = ["systemctl", *(["--user"] if user else []), *args]
    return run_cmd(cmd, dry_run or not shutil.which("systemctl"))


def run_cmd(cmd: list[str], dry_run: bool) -> int:
    if dry_run:
        print("would run: " + " ".join(shlex.quote(c) for c in cmd))
        return 0
    result = subprocess.run(cmd, check=False)
    if result.returncode != 0:
        log.error("%s failed with code %d", " ".join(cmd), result.returncode)
    return result.returncode


def ensure_service_user(name: str, dry_run: bool) -> int:
    """Create the dedicated system user (no login, no home of its own) unless it exists."""
    try:
        pwd.getpwnam(name)
        return 0
    except KeyError:
        pass
    groups = [g for g in ("video", "render") if _group_exists(g)]
    cmd = ["useradd", "--system", "--no-create-home", "--home-dir", f"/var/lib/{STATE_DIRECTORY}"]
    cmd += ["--shell", "/usr/sbin/nologin", *(["--groups", ",".join(groups)] if groups else []), name]
    return run_cmd(cmd, dry_run)


def _group_exists(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def readable_by(path: Path, user: str) -> bool | None:
    """Whether `user` may read `path` by its mode bits (None: the user does not exist yet)."""
    import grp

    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        return None
    st = path.stat()
    if pw.pw_uid == 0 or st.st_uid == pw.pw_uid:
        return bool(st.st_mode & 0o400) or pw.pw_uid == 0
    groups = {g.gr_gid for g in grp.getgrall() if user in g.gr_mem} | {pw.pw_gid}
    if st.st_gid in groups:
        return bool(st.st_mode & 0o040)
    return bool(st.st_mode & 0o004)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        "--run-as",
        help=f"system units: an existing user to run as (default: {SERVICE_USER!r}, created if missing)",
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
    dry = args.unit_dir is not None  # tests: print the commands instead of running them
    run_as = None if args.user else (args.run_as or SERVICE_USER)
    if run_as == "root":
        print("warning: running the agent as root; the default dedicated user is safer", file=sys.stderr)
    writable = [d.resolve() for d in writable_dirs(cfg)]
    text = render_unit(
        config,
        workdir,
        sys.executable,
        args.user,
        run_as,
        f"Bobby camera {cfg.camera_id} ({cfg.mode})",
        writable,
    )
    directory = args.unit_dir or unit_dir(args.user)
    path = directory / f"{args.name}.service"
    if run_as and not args.run_as and ensure_service_user(run_as, dry) != 0:
        print(f"not installing: cannot create the user {run_as!r} (run with sudo)", file=sys.stderr)
        return 1
    for d in writable if run_as else ():
        if dry:
            print(f"would create {d} for {run_as}")
            continue
        try:
            d.mkdir(parents=True, exist_ok=True)
            if run_as:  # always (the loop runs only with run_as); says so to the type checker
                shutil.chown(d, run_as)
        except (OSError, LookupError) as err:
            print(f"warning: {d}: {err}; {run_as} must be able to write it", file=sys.stderr)
    # The config file is read by the agent (as run_as); bobby.env by systemd itself, as root,
    # before it starts the agent: it may (and should) be root's alone, mode 600.
    if run_as and readable_by(config, run_as) is False:
        print(
            f"warning: {run_as} cannot read {config}: "
            f"`sudo chgrp {run_as} {config} && sudo chmod g+r {config}`",
            file=sys.stderr,
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as err:
        print(f"cannot write {path}: {err} (system units need sudo; or use --user)", file=sys.stderr)
        return 1
    print(f"wrote {path}" + (f" (runs as {run_as})" if run_as else ""))
    if args.no_enable:
        return 0
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
