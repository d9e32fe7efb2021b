"""The release: one version, the workflow that publishes it, and the wheel it publishes, installed alone.

What runs on GitHub only (PyPI's upload, the image builds and pushes) cannot run here; the rest
does: the version check and bump the workflow calls (scripts/release.py), the workflow's shape
(jobs, permissions, pinned actions), the sdist and the wheel built as `python -m build` builds
them, and the wheel installed in a fresh Python 3.11 venv with nothing else (its dependencies
from PyPI), running `bobby-edge addon` as the add-on image does, against a fake Supervisor and a
real Mosquitto, detecting a person with the real model.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import yaml

from edge_agent import __version__
from scripts import release
from tests.conftest import MEDIA, PERSON_STILLS
from tests.support.frames import still_jpeg
from tests.support.mqtt import Collector
from tests.support.supervisor import TOKEN, FakeSupervisor, mqtt_ok

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yaml"


# --- the one version ---------------------------------------------------------------------------


def test_every_file_states_the_one_version_and_the_changelog_has_it():
    found = release.versions()
    assert set(found) == {
        "pyproject.toml",
        "edge_agent/__init__.py",
        "addon/config.yaml",
        "custom_components/bobby_camera/manifest.json",
    }
    assert set(found.values()) == {__version__}
    assert release.check() == __version__
    assert release.check(tag=f"v{__version__}") == __version__
    # What the files say, read as their own tools read them.
    import tomllib

    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"] == __version__
    assert yaml.safe_load((ROOT / "addon" / "config.yaml").read_text())["version"] == __version__
    manifest = json.loads((ROOT / "custom_components" / "bobby_camera" / "manifest.json").read_text())
    assert manifest["version"] == __version__
    assert release.notes(__version__).startswith("- ")


def copy_versioned_files(dest: Path) -> Path:
    for name in [*release.PLACES, release.CHANGELOG]:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, dest / name)
    return dest


def test_bump_sets_the_version_in_every_file_and_changes_nothing_else(tmp_path):
    root = copy_versioned_files(tmp_path)
    before = {name: (root / name).read_text() for name in release.PLACES}
    assert sorted(release.bump("7.8.9rc1", root)) == sorted(release.PLACES)
    assert set(release.versions(root).values()) == {"7.8.9rc1"}
    for name, text in before.items():
        old = [line for line in text.splitlines() if __version__ not in line or "version" not in line]
        new = [line for line in (root / name).read_text().splitlines() if "7.8.9rc1" not in line]
        assert old == new, name  # only the version line changed
    # No changelog entry yet: the release would stop at its first job.
    with pytest.raises(release.ReleaseError, match=r"CHANGELOG.md has no '## 7.8.9rc1' entry"):
        release.check(root)
    changelog = root / release.CHANGELOG
    changelog.write_text(
        changelog.read_text().replace("# Changelog\n", "# Changelog\n\n## 7.8.9rc1\n\n- Try.\n")
    )
    assert release.check(root, tag="v7.8.9rc1") == "7.8.9rc1"
    assert release.notes("7.8.9rc1", root) == "- Try.\n"
    with pytest.raises(release.ReleaseError, match=r"tag 'v7.8.9' is not the version's"):
        release.check(root, tag="v7.8.9")
    # Only normalised PEP 440 releases: the wheel name, the pip pin and the image tag are then one.
    for bad in ("1.2", "v1.2.3", "1.2.3-rc1", "1.2.3.post1", "1.2.3 "):
        with pytest.raises(release.ReleaseError, match="is not of the form"):
            release.bump(bad, root)


def test_files_that_disagree_stop_the_release(tmp_path, capsys):
    root = copy_versioned_files(tmp_path)
    manifest = root / "custom_components" / "bobby_camera" / "manifest.json"
    manifest.write_text(manifest.read_text().replace(f'"version": "{__version__}"', '"version": "9.9.9"'))
    with pytest.raises(release.ReleaseError, match=r"differs between files .*manifest.json: 9.9.9"):
        release.check(root)
    init = root / "edge_agent" / "__init__.py"
    init.write_text(init.read_text() + '__version__ = "1.0.0"\n')
    with pytest.raises(release.ReleaseError, match="expected one version line, found 2"):
        release.versions(root)
    # The command the workflow runs: a clear message and a non-zero status.
    assert release.main(["version", "--tag", "v0.0.0"]) == 1
    assert "release: tag 'v0.0.0' is not the version's" in capsys.readouterr().err


# --- the workflow ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").startswith(action + "@")]


def test_the_workflow_runs_on_version_tags_with_no_permission_by_default(workflow):
    on = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    assert on == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {}


def test_each_job_has_only_the_permissions_it_needs(workflow):
    jobs = workflow["jobs"]
    assert {name: job.get("permissions") for name, job in jobs.items()} == {
        "prepare": {"contents": "read"},
        "dist": {"contents": "read"},
        "pypi": {"id-token": "write"},  # trusted publishing; nothing else, not even the checkout
        "image": {"contents": "read", "id-token": "write", "packages": "write"},
        "manifest": {"id-token": "write", "packages": "write"},
        "github-release": {"contents": "write"},
    }
    # The order: nothing is published before the version is checked, no image before PyPI has the
    # package it installs, no GitHub release before the images.
    assert jobs["dist"]["needs"] == "prepare"
    assert set(jobs["pypi"]["needs"]) == {"prepare", "dist"}
    assert set(jobs["image"]["needs"]) == {"prepare", "pypi"}
    assert set(jobs["manifest"]["needs"]) == {"prepare", "image"}
    assert set(jobs["github-release"]["needs"]) == {"prepare", "dist", "manifest"}


def test_the_version_check_build_and_publish_steps(workflow):
    jobs = workflow["jobs"]
    runs = {name: "\n".join(s.get("run", "") for s in job["steps"]) for name, job in jobs.items()}
    assert 'python scripts/release.py version --tag "$TAG"' in runs["prepare"]
    assert "python scripts/release.py addon" in runs["prepare"]
    assert "python -m build" in runs["dist"]
    assert 'python scripts/release.py wheel "dist/bobby_edge-${VERSION}-py3-none-any.whl"' in runs["dist"]
    # Trusted publishing: the `pypi` environment, and no token or password given to the action.
    pypi = jobs["pypi"]
    assert pypi["environment"]["name"] == "pypi"
    (publish,) = steps_using(pypi, "pypa/gh-action-pypi-publish")
    assert not publish.get("with")
    # The images: HA's builder actions, the add-on folder as the context, the version's tag.
    (build,) = steps_using(jobs["image"], "home-assistant/builder/actions/build-image")
    assert build["with"]["context"] == "./addon"
    assert build["with"]["version"] == "${{ needs.prepare.outputs.version }}"
    assert build["with"]["push"] == "true"
    assert "bobby-edge==${VERSION}" in runs["image"]  # waits until PyPI serves it
    assert steps_using(jobs["prepare"], "home-assistant/builder/actions/prepare-multi-arch-matrix")
    assert steps_using(jobs["manifest"], "home-assistant/builder/actions/publish-multi-arch-manifest")
    assert 'gh release create "$TAG" dist/*' in runs["github-release"]


def test_every_action_is_pinned(workflow):
    for name, job in workflow["jobs"].items():
        for step in job["steps"]:
            uses = step.get("uses")
            if uses is None:
                continue
            action, _, ref = uses.partition("@")
            if action == "pypa/gh-action-pypi-publish":
                assert ref == "release/v1", uses  # the ref its maintainers publish for v1
            else:
                assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{name}: {uses} is not pinned to a commit"
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


# --- the distributions -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dists(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel, built as the release workflow builds them (`python -m build`)."""
    out = tmp_path_factory.mktemp("dist")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"\npython -m build: {time.monotonic() - started:.1f} s")
    files = {p.name: p for p in out.iterdir()}
    wheel = files.pop(f"bobby_edge-{__version__}-py3-none-any.whl")
    sdist = files.pop(f"bobby_edge-{__version__}.tar.gz")
    assert files == {}
    return {"wheel": wheel, "sdist": sdist}


def test_the_wheel_has_all_of_edge_agent_and_the_entry_point_and_nothing_else(dists):
    wheel = dists["wheel"]
    assert release.wheel_problems(wheel) == []
    size = wheel.stat().st_size
    print(f"\n{wheel.name}: {size / 1024:.0f} KiB")
    assert size < 2 * 1024 * 1024  # modules only: the model is downloaded, never packaged
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    for pkg in ("camera", "deploy", "detect", "listen_frame", "mqtt", "tools", "camera/recording"):
        assert f"edge_agent/{pkg}/__init__.py" in names, pkg
    assert "edge_agent/deploy/addon.py" in names and "edge_agent/cli.py" in names


def test_the_wheel_check_catches_a_wheel_with_too_much_or_too_little(dists, tmp_path):
    bad = tmp_path / dists["wheel"].name
    with zipfile.ZipFile(dists["wheel"]) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            if item.filename != "edge_agent/deploy/addon.py":
                dst.writestr(item, src.read(item))
        dst.writestr("tests/test_x.py", "")
        dst.writestr("edge_agent/models/detect.tflite", b"\0")
        dst.writestr("custom_components/bobby_camera/__init__.py", "")
    problems = release.wheel_problems(bad)
    assert "missing edge_agent/deploy/addon.py" in problems
    assert "tests/test_x.py is not part of edge_agent" in problems
    assert "custom_components/bobby_camera/__init__.py is not part of edge_agent" in problems
    assert any("detect.tflite is not a Python module" in p for p in problems)


def test_the_sdist_is_the_package_source_without_tests_model_or_integration(dists):
    with tarfile.open(dists["sdist"]) as tar:
        names = [n.split("/", 1)[1] for n in tar.getnames() if "/" in n]
    top = {n.split("/")[0] for n in names}
    assert {"pyproject.toml", "README.md", "edge_agent", "PKG-INFO"} <= top
    assert not top & {"tests", "custom_components", "addon", "esp_firmware", "frontend", "docs"}, top
    assert not [n for n in names if n.endswith((".tflite", ".pyc"))]


def wheel_metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as z:
        return Parser().parsestr(z.read(f"bobby_edge-{__version__}.dist-info/METADATA").decode())


def pi_setup_section() -> str:
    text = (ROOT / "docs" / "camera.md").read_text()
    start = text.index("## Raspberry Pi set-up")
    return text[start : text.index("\n## ", start + 1)]


def test_the_pi_extra_and_the_apt_path_agree_with_the_docs(dists):
    meta = wheel_metadata(dists["wheel"])
    assert "pi" in meta.get_all("Provides-Extra")
    pi = [r for r in meta.get_all("Requires-Dist") if r.endswith('extra == "pi"')]
    # The extra is picamera2 from PyPI, and nothing else.
    assert [r.split(";")[0].replace(" ", "") for r in pi] == ["picamera2>=0.3.12"]
    assert not [
        r for r in meta.get_all("Requires-Dist") if r.lower().startswith("picamera2") and "extra" not in r
    ]
    docs = pi_setup_section()
    # Raspberry Pi OS: picamera2 from apt, seen through a venv with the system's site-packages,
    # and bobby-edge installed without the extra (which would put PyPI's picamera2 in front).
    assert "apt install -y python3-picamera2" in docs
    venv_line = next(line for line in docs.splitlines() if "--system-site-packages" in line)
    assert "pip install 'bobby-edge[bookworm]'" in venv_line and "[pi]" not in venv_line
    assert not re.search(r"pip install [\"']?(bobby-edge|\.)\[pi\]", docs.replace("Not `bobby-edge[pi]`", ""))
    # And the docs say what the extra is for.
    assert "Not `bobby-edge[pi]` here: that extra installs picamera2" in " ".join(docs.split())


def test_the_bookworm_extra_keeps_numpy_1_for_apts_picamera2(dists):
    """Bookworm's picamera2 imports simplejpeg, built against NumPy 1.24: the extra the Pi docs
    install must keep NumPy below 2, and OpenCV below 4.12 (the first release needing NumPy 2)."""
    meta = wheel_metadata(dists["wheel"])
    assert "bookworm" in meta.get_all("Provides-Extra")
    reqs = {
        r.split(";")[0].replace(" ", "")
        for r in meta.get_all("Requires-Dist")
        if r.endswith('extra == "bookworm"')
    }
    assert reqs == {"numpy<2,>=1.24", "opencv-python-headless<4.12,>=4.8"}
    pi_page = (ROOT / "docs" / "getting-started" / "ha-os-pi-zero.md").read_text()
    assert "pip install 'bobby-edge[bookworm]'" in pi_page
    readme = (ROOT / "README.md").read_text()
    assert "pip install .[pi]" not in readme


# --- the wheel alone, in a clean Python 3.11 ---------------------------------------------------


def find_python311() -> str:
    for candidate in (getattr(sys, "_base_executable", None), shutil.which("python3.11")):
        if (
            candidate
            and subprocess.run(
                [candidate, "-c", "import sys; sys.exit(sys.version_info[:2] != (3, 11))"],
                capture_output=True,
            ).returncode
            == 0
        ):
            return candidate
    pytest.fail("no Python 3.11 found (the add-on image's Python): install it, or set up .venv with it")


@pytest.fixture(scope="session")
def clean_venv(dists, tmp_path_factory) -> Path:
    """A new venv with only the wheel (and what it requires, from PyPI): as the add-on image has it."""
    venv = tmp_path_factory.mktemp("clean") / "venv"
    started = time.monotonic()
    subprocess.run([find_python311(), "-m", "venv", str(venv)], check=True, timeout=120)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(dists["wheel"])],
        capture_output=True, text=True, timeout=1200, cwd=venv.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"\nclean venv with the wheel: {time.monotonic() - started:.1f} s")
    return venv


@pytest.mark.slow  # the venv's dependencies come from PyPI (or pip's cache) on the first run
@pytest.mark.timeout(1800)
def test_a_clean_venv_with_only_the_wheel_runs_the_addon_against_a_real_broker(
    clean_venv, tmp_path, mosquitto, model_path
):
    py = clean_venv / "bin" / "python"
    env = {
        "PATH": f"{clean_venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SUPERVISOR_TOKEN": TOKEN,
        "BOBBY_MODEL": str(model_path),  # the image's bundled model
    }
    # edge_agent comes from the venv, not from the checkout; nothing of the dev tools is there.
    where = subprocess.run(
        [str(py), "-c", "import edge_agent; print(edge_agent.__file__)"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    ).stdout.strip()  # fmt: skip
    assert where.startswith(str(clean_venv)), where
    frozen = subprocess.run(
        [str(py), "-m", "pip", "freeze"], capture_output=True, text=True, env=env, cwd=tmp_path, check=True
    ).stdout.lower()
    assert "bobby-edge @ file://" in frozen or f"bobby-edge=={__version__}" in frozen
    for dev in ("pytest", "ruff", "hypothesis", "homeassistant", "picamera2"):
        assert f"\n{dev}==" not in f"\n{frozen}", dev
    version = subprocess.run(
        [str(clean_venv / "bin" / "bobby-edge"), "--version"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert version.stdout.strip() == f"bobby-edge {__version__}"

    base, cam = f"wheel{os.getpid()}", "porch"
    availability = f"{base}/listen_frame/ha-addon/availability"
    options = tmp_path / "options.json"  # what the Supervisor writes: the options of config.yaml
    options.write_text(json.dumps({"base_topic": base, "workers": 1, "stats_interval": 1}))
    client = Collector(mosquitto, [f"{base}/#", f"homeassistant/+/bobby_{cam}/#"])
    proc = None
    try:
        service = mqtt_ok(host=mosquitto.host, port=mosquitto.port, ssl=False, protocol="3.1.1")
        with FakeSupervisor(body=service) as sup:
            proc = subprocess.Popen(
                [str(clean_venv / "bin" / "bobby-edge"), "addon", "--options", str(options),
                 "--supervisor-url", sup.url],
                env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            try:
                client.wait_payload(availability, b"online", timeout=120)
            except AssertionError:
                proc.send_signal(signal.SIGTERM)
                raise AssertionError(f"no 'online': {proc.communicate(timeout=30)[1][-3000:]}") from None
            assert sup.requests == [("/services/mqtt", f"Bearer {TOKEN}")]
            # A camera announces itself and sends frames with a person: discovery, detections.
            client.announce(f"{base}/{cam}")
            frame = still_jpeg(MEDIA / PERSON_STILLS[0])
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not client.on(f"{base}/{cam}/detections"):
                client.publish(f"{base}/{cam}/frame", frame, qos=0)
                time.sleep(0.5)
            config = json.loads(
                client.wait_payload(f"homeassistant/binary_sensor/bobby_{cam}/person/config", timeout=60)
            )
            assert config["unique_id"] == f"bobby_{cam}_person"
            assert config["origin"]["sw_version"] == __version__
            detection = client.wait_json(f"{base}/{cam}/detections", lambda d: d["persons"] >= 1, timeout=60)
            assert detection["objects"][0]["label"] == "person"
            proc.send_signal(signal.SIGTERM)
            client.wait_payload(availability, b"offline", timeout=60)
            _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-3000:]
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.communicate()
        client.close()
