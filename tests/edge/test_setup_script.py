"""`make demo` needs only what the demo uses (issue 17.5): scripts/setup.sh installs Chromium,
npm and AppArmor only for the test path. Checked with the script's own dry run
(BOBBY_SETUP_DRY_RUN=1 prints the apt packages of a target, installs nothing) and `make -n`."""

from __future__ import annotations

import os
import shutil
import subprocess

from tests.support.procs import ROOT

SETUP = ROOT / "scripts" / "setup.sh"
TEST_ONLY = {
    "chromium",
    "nodejs",
    "npm",
    "apparmor",
    "systemd",
    "mosquitto-clients",
    "gir1.2-gst-rtsp-server-1.0",
}


def apt_packages(target: str, **env: str) -> set[str]:
    result = subprocess.run(
        ["bash", str(SETUP), target],
        env={**os.environ, "BOBBY_SETUP_DRY_RUN": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(f"[setup] apt packages for {target}:")]
    assert len(lines) == 1, result.stdout + result.stderr
    assert "creating" not in result.stdout  # a dry run makes no virtual environment
    return set(lines[0].split(":", 1)[1].split())


def test_the_demos_setup_installs_only_the_broker_and_the_jpeg_library():
    edge = apt_packages("edge")
    assert edge == {"mosquitto", "libturbojpeg0"}
    assert not edge & TEST_ONLY


def test_the_test_path_installs_the_rest():
    everything = apt_packages("all")
    assert everything >= {"mosquitto", "libturbojpeg0"} | TEST_ONLY
    assert "chromium" in apt_packages("ha")
    assert "chromium" not in apt_packages("ha", BOBBY_BROWSER_TESTS="0")
    assert {"nodejs", "npm"} <= apt_packages("frontend")


def test_an_unknown_target_is_refused():
    result = subprocess.run(["bash", str(SETUP), "demo"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "usage" in result.stderr


def test_make_demo_runs_only_the_edge_setup():
    # make runs `make test` itself (.ci/run installs it): missing, the test says so instead of skipping.
    assert shutil.which("make"), "make is not installed (apt-get install make)"
    # -n: print the commands without running them; -B: as on a fresh checkout (nothing built yet).
    result = subprocess.run(
        ["make", "-n", "-B", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    setups = [ln.split()[1:] for ln in result.stdout.splitlines() if "scripts/setup.sh" in ln]
    assert setups == [["edge"]], result.stdout
