"""Run `bobby-edge` commands as real processes, as a user would (black-box tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from edge_agent.procinfo import child_pids, rss_mb

ROOT = Path(__file__).resolve().parents[2]
FAKES = ROOT / "tests" / "edge" / "fakes"  # driver-level fakes (picamera2)


class Command:
    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.args = [sys.executable, "-m", "edge_agent", *args]
        self.log = tempfile.NamedTemporaryFile(prefix="bobby-cmd-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 20.0) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.args[3]} did not stop within {timeout} s:\n{self.output()[-3000:]}"
            ) from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:  # a deadline, not a duration (a busy machine), as CameraProcess.terminate's
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Command:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def children(pid: int) -> list[int]:
    return child_pids(pid)


def kill(pid: int, sig: int = signal.SIGKILL) -> None:
    os.kill(pid, sig)


def signal_other_thread(pid: int, sig: int = signal.SIGTERM) -> int:
    """`sig` to one thread of `pid` that is not its main thread (tgkill), as the kernel may
    deliver a process's signal; returns that thread's id."""
    import ctypes

    tid = next(int(t) for t in sorted(os.listdir(f"/proc/{pid}/task")) if int(t) != pid)
    if ctypes.CDLL(None, use_errno=True).tgkill(pid, tid, sig) != 0:
        raise OSError(ctypes.get_errno(), f"tgkill {pid} {tid}")
    return tid


def camera_env(fake_picamera2: bool = False, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(ROOT)]
    if fake_picamera2:
        paths.insert(0, str(FAKES))
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("BOBBY_BROKER", None)
    env.update(extra)
    return env


class CameraProcess:
    """`python -m edge_agent camera …` as a subprocess, its log kept in a file."""

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
        self.log_path = log_path
        self.log_file = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge_agent", "camera", *args],
            cwd=ROOT,
            env=env or camera_env(),
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )

    @property
    def log(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 30.0) -> int:
        # A deadline, not a duration: a clean stop on a busy machine (make test runs suites and
        # test files in parallel) took over 10 s.
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.log_file.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.log_file.close()


def smart_camera(
    broker,
    tmp_path: Path,
    base: str,
    cam: str,
    source: str | Path,
    model_path: Path,
    extra: list[str] | tuple[str, ...] = (),
    name: str = "smart",
    fake_pi: bool = False,
    stats_interval: float = 2,
    **env: str,
) -> CameraProcess:
    """A smart camera process on `source` (it detects with `model_path` itself), publishing under
    `base` without discovery, its state in `tmp_path`/state and its log in `tmp_path`/<name>.log;
    `extra` arguments and `env` variables added."""
    args = [
        "--mode",
        "smart",
        "--source",
        str(source),
        "--camera-id",
        cam,
        "--broker",
        broker.url,
        "--base-topic",
        base,
        "--model",
        str(model_path),
        "--state-wait",
        "0.5",
        "--stats-interval",
        f"{stats_interval:g}",
        "--no-discovery",
        "--state-dir",
        str(tmp_path / "state"),
        *extra,
    ]
    return CameraProcess(args, tmp_path / f"{name}.log", env=camera_env(fake_picamera2=fake_pi, **env))


def listen_frame(broker, model_path, base, instance, *extra: str) -> Command:
    """`bobby-edge listen-frame` as the tests run it: stats every second, snapshots at most every
    second; `extra` flags come last, so they win over these."""
    return Command(
        "listen-frame",
        "--broker",
        broker.url,
        "--base-topic",
        base,
        "--instance",
        instance,
        "--model",
        str(model_path),
        "--stats-interval",
        "1",
        "--snapshot-interval",
        "1",
        *extra,
    )


def worker_pids(pid: int) -> list[int]:
    """The detector worker processes (spawned: `spawn_main` in their command line) of `pid`."""
    out = []
    for child in children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            out.append(child)
    return out


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        for child in child_pids(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


class ListenFrameService:
    """`python -m edge_agent listen-frame …` as a user runs it (`listen_frame` above, with the
    default last-person image interval), with what the tests look at: online, its workers, memory,
    its log and tracebacks. The reliability suite's `Service`."""

    def __init__(
        self, broker, model_path: Path, base: str, workers: int = 1, *extra: str, instance: str = "rel"
    ) -> None:
        self.base = base
        self.availability = f"{base}/listen_frame/{instance}/availability"
        self.stats_topic = f"{base}/listen_frame/{instance}/stats"
        self.cmd = listen_frame(
            broker, model_path, base, instance, "--workers", str(workers), "--snapshot-interval", "30", *extra
        )

    @property
    def pid(self) -> int:
        return self.cmd.pid

    def wait_online(self, client, timeout: float = 60.0) -> None:
        try:  # a service that exited (bad settings, an import error) fails at once, with its log
            client.wait_for(
                lambda: client.last(self.availability) == b"online" or not self.alive(),
                timeout,
                "listen_frame online",
            )
        except AssertionError as err:
            raise AssertionError(f"{err}\n{self.tail()}") from None
        assert self.alive(), f"listen_frame exited with {self.cmd.proc.returncode}\n{self.tail()}"

    def workers(self) -> list[int]:
        """The detector processes: children whose command line is multiprocessing's spawn_main."""
        return worker_pids(self.pid)

    def rss_mb(self) -> float:
        """Resident memory of the service and every process below it (workers), in MiB."""
        return round(sum(rss_mb(p) or 0.0 for p in [self.pid, *descendants(self.pid)]), 1)

    def alive(self) -> bool:
        return self.cmd.proc.poll() is None

    def log(self) -> str:
        return self.cmd.output()

    def tail(self, chars: int = 4000) -> str:
        return f"--- listen_frame log (last {chars} chars) ---\n{self.log()[-chars:]}"

    def tracebacks(self) -> list[str]:
        """Each traceback in the log with the lines around it (what the lead needs to fix it)."""
        lines = self.log().splitlines()
        out = []
        for i, line in enumerate(lines):
            if "Traceback" in line:
                end = i + 1
                while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
                    end += 1  # the frames; the line after them is the exception
                out.append("\n".join(lines[max(0, i - 1) : end + 1]))
        return out

    def stop(self) -> None:
        self.cmd.stop()
