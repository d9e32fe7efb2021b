"""Model download from a local HTTP server, verification, cache reuse, and model resolution."""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import socket
import subprocess
import sys
import threading
import typing
import zipfile
from pathlib import Path

import pytest

from edge_agent.detect.model import (
    MODEL_FILE,
    MODEL_SHA256,
    ModelError,
    default_model_path,
    download_model,
    parse_labels,
    resolve_labels,
    resolve_model,
)

ROOT = Path(__file__).resolve().parents[2]


class CountingHandler(http.server.SimpleHTTPRequestHandler):
    requests: typing.ClassVar[list[str]] = []

    def do_GET(self):
        CountingHandler.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    CountingHandler.requests = []
    handler = functools.partial(CountingHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def make_archive(path: Path, tflite: bytes) -> None:
    """The layout of TensorFlow's archive: detect.tflite and a labelmap.txt starting with ???."""
    labels = "???\n" + "\n".join(["person", "bicycle", "car"]) + "\n"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("detect.tflite", tflite)
        zf.writestr("labelmap.txt", labels)


def test_download_verify_and_reuse(server, tmp_path, model_path):
    root, base = server
    make_archive(root / "model.zip", model_path.read_bytes())
    dest = tmp_path / "cache"
    seen = []
    path = download_model(
        dest, url=f"{base}/model.zip", progress=lambda done, total: seen.append((done, total))
    )
    assert path == dest / MODEL_FILE
    assert hashlib.sha256(path.read_bytes()).hexdigest() == MODEL_SHA256
    assert seen and seen[-1][0] == seen[-1][1] == (root / "model.zip").stat().st_size
    assert resolve_labels(path)[:3] == ["person", "bicycle", "car"]  # ??? line dropped
    assert sorted(p.name for p in dest.iterdir()) == sorted([MODEL_FILE, Path(MODEL_FILE).stem + ".txt"])
    assert CountingHandler.requests == ["/model.zip"]

    assert download_model(dest, url=f"{base}/model.zip") == path
    assert CountingHandler.requests == ["/model.zip"], "a verified copy must not be downloaded again"

    download_model(dest, url=f"{base}/model.zip", force=True)
    assert CountingHandler.requests == ["/model.zip", "/model.zip"]


def test_damaged_cached_copy_is_replaced(server, tmp_path, model_path):
    root, base = server
    make_archive(root / "model.zip", model_path.read_bytes())
    dest = tmp_path / "cache"
    dest.mkdir()
    (dest / MODEL_FILE).write_bytes(b"half a download")
    path = download_model(dest, url=f"{base}/model.zip")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == MODEL_SHA256


def test_sha_mismatch_leaves_nothing(server, tmp_path, model_path):
    root, base = server
    data = bytearray(model_path.read_bytes())
    data[5000] ^= 0xFF  # one flipped byte
    make_archive(root / "bad.zip", bytes(data))
    bad_sha = hashlib.sha256(bytes(data)).hexdigest()
    dest = tmp_path / "cache"
    with pytest.raises(ModelError) as err:
        download_model(dest, url=f"{base}/bad.zip")
    assert bad_sha in str(err.value) and MODEL_SHA256 in str(err.value)
    assert list(dest.iterdir()) == []


def test_bare_tflite_url(server, tmp_path, model_path):
    root, base = server
    (root / "m.tflite").write_bytes(model_path.read_bytes())
    path = download_model(tmp_path / "c", url=f"{base}/m.tflite")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == MODEL_SHA256
    assert resolve_labels(path)[0] == "person"  # from the labelmap packed in the model


def test_not_a_model(server, tmp_path):
    root, base = server
    (root / "page.html").write_text("<html>captive portal</html>")
    with pytest.raises(ModelError, match="holds no TFLite model"):
        download_model(tmp_path / "c", url=f"{base}/page.html")
    assert list((tmp_path / "c").iterdir()) == []


def test_unreachable_and_missing(server, tmp_path):
    _, base = server
    with pytest.raises(ModelError, match="cannot download the model from .*HTTP 404"):
        download_model(tmp_path / "c", url=f"{base}/nothing.zip")
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(
        ModelError, match=f"cannot download the model from http://127.0.0.1:{port}/m.zip: .*refused"
    ):
        download_model(tmp_path / "c", url=f"http://127.0.0.1:{port}/m.zip")
    assert list((tmp_path / "c").iterdir()) == []


def test_resolve_model_order(tmp_path, monkeypatch, model_path):
    monkeypatch.setenv("BOBBY_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("BOBBY_MODEL", raising=False)
    assert default_model_path() == tmp_path / "cache" / MODEL_FILE
    with pytest.raises(ModelError, match="run `bobby-edge model download`"):
        resolve_model()
    monkeypatch.setenv("BOBBY_MODEL", str(model_path))
    assert resolve_model() == model_path
    with pytest.raises(ModelError, match="from --model"):
        resolve_model(tmp_path / "other.tflite")
    monkeypatch.setenv("BOBBY_MODEL", str(tmp_path / "gone.tflite"))
    with pytest.raises(ModelError, match=r"gone.tflite \(from \$BOBBY_MODEL\)"):
        resolve_model()
    monkeypatch.delenv("BOBBY_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_model_path() == tmp_path / "xdg" / "bobby" / MODEL_FILE


def test_labels_files(tmp_path, model_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(b"TFL3")  # not a zip: no packed labels
    with pytest.raises(ModelError, match="no labels for"):
        resolve_labels(model)
    (tmp_path / "labelmap.txt").write_text("???\nperson\ncar\n")
    assert resolve_labels(model) == ["person", "car"]
    (tmp_path / "m.txt").write_text("0 person\n2 car\n")  # id-label form, more specific name wins
    assert resolve_labels(model) == ["person", "???", "car"]
    assert resolve_labels(model, ["a", "b"]) == ["a", "b"]
    with pytest.raises(ModelError, match="cannot read labels file"):
        resolve_labels(model, tmp_path / "none.txt")
    assert parse_labels("person\n\nbicycle\n\n") == ["person", "", "bicycle"]
    assert resolve_labels(model_path)[0] == "person"


def run_cli(*args, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "edge_agent", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full_env,
        timeout=120,
    )


def test_model_cli(server, tmp_path, model_path):
    root, base = server
    make_archive(root / "model.zip", model_path.read_bytes())
    dest = tmp_path / "dl"
    r = run_cli("model", "download", "--dest", str(dest), env={"BOBBY_MODEL_URL": f"{base}/model.zip"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(dest / MODEL_FILE)
    assert "100%" in r.stderr
    r = run_cli("model", "path", env={"BOBBY_MODEL": str(dest / MODEL_FILE)})
    assert r.returncode == 0 and r.stdout.strip() == str(dest / MODEL_FILE)
    r = run_cli("model", "path", env={"BOBBY_MODEL": "", "BOBBY_CACHE": str(tmp_path / "empty")})
    assert r.returncode == 1 and "run `bobby-edge model download`" in r.stderr
    r = run_cli("model", "download", "--dest", str(tmp_path / "x"), "--url", f"{base}/missing.zip")
    assert r.returncode == 1 and "HTTP 404" in r.stderr
