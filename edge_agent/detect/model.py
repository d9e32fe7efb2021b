"""Where the detection model is, its labels, and `bobby-edge model download|path`.

The model is TensorFlow's COCO SSD MobileNet v1 (uint8 quantized), downloaded from its canonical
archive and verified by sha256 before it is put in place. This module imports only the standard
library, so the CLI stays quick to start.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

MODEL_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/models/tflite/"
    "coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.zip"
)
MODEL_SHA256 = "61d598093ed03ed41aa47c3a39a28ac01e960d6a810a5419b9a5016a1e9c469b"
MODEL_FILE = "coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite"
MODEL_ENV = "BOBBY_MODEL"
MODEL_URL_ENV = "BOBBY_MODEL_URL"
CACHE_ENV = "BOBBY_CACHE"
DOWNLOAD_TIMEOUT = 60.0


class ModelError(RuntimeError):
    """The model cannot be used: missing, not a TFLite SSD model, no runtime, bad download."""


def cache_dir() -> Path:
    """$BOBBY_CACHE, else $XDG_CACHE_HOME/bobby, else ~/.cache/bobby."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "bobby"
    return Path.home() / ".cache" / "bobby"


def default_model_path() -> Path:
    return cache_dir() / MODEL_FILE


def resolve_model(path: str | Path | None = None) -> Path:
    """--model, else $BOBBY_MODEL, else the downloaded copy in the cache."""
    if path:
        source, candidate = "--model", Path(path).expanduser()
    elif os.environ.get(MODEL_ENV):
        source, candidate = f"${MODEL_ENV}", Path(os.environ[MODEL_ENV]).expanduser()
    else:
        source, candidate = "the cache", default_model_path()
    if not candidate.is_file():
        raise ModelError(
            f"model not found at {candidate} (from {source}): run `bobby-edge model download`, "
            f"or set --model / ${MODEL_ENV} to a .tflite file"
        )
    return candidate


# --- labels -------------------------------------------------------------------------------------

_ID_LABEL_RE = re.compile(r"^\s*(\d+)[\s:,]+(.+?)\s*$")


def parse_labels(text: str) -> list[str]:
    """A label file: one label per line (line number = class id), or "id label" lines.

    TensorFlow's labelmap.txt for SSD starts with "???" for the background class, which the
    post-processing op has already removed (its class 0 is person): that first line is dropped.
    """
    lines = [ln.strip() for ln in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    non_empty = [ln for ln in lines if ln]
    if non_empty and all(_ID_LABEL_RE.match(ln) for ln in non_empty):
        # union-attr: every line matched just above
        pairs = [_ID_LABEL_RE.match(ln).groups() for ln in non_empty]  # type: ignore[union-attr]
        out = ["???"] * (max(int(i) for i, _ in pairs) + 1)
        for i, label in pairs:
            out[int(i)] = label
        return out
    if lines and lines[0] == "???":
        lines = lines[1:]
    return lines


def _labels_inside(model_path: Path) -> list[str] | None:
    """The labelmap.txt that TFLite metadata packs into the model file (a .tflite is then a zip too)."""
    try:
        with zipfile.ZipFile(model_path) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith(".txt")]
            name = next((n for n in names if Path(n).name == "labelmap.txt"), names[0] if names else None)
            if name is None:
                return None
            return parse_labels(zf.read(name).decode("utf-8"))
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError):
        return None


def resolve_labels(
    model_path: str | Path, labels: str | Path | list[str] | tuple[str, ...] | None = None
) -> list[str]:
    """Explicit file or list; else a file beside the model; else the one packed in the model."""
    if isinstance(labels, (list, tuple)):
        return [str(x) for x in labels]
    if labels:
        try:
            return parse_labels(Path(labels).read_text(encoding="utf-8"))
        except OSError as err:
            raise ModelError(f"cannot read labels file {labels}: {err.strerror or err}") from None
    model_path = Path(model_path)
    for name in (f"{model_path.stem}.txt", "labelmap.txt", "coco_labels.txt"):
        candidate = model_path.with_name(name)
        if candidate.is_file():
            return parse_labels(candidate.read_text(encoding="utf-8"))
    inside = _labels_inside(model_path)
    if inside:
        return inside
    raise ModelError(
        f"no labels for {model_path}: pass --labels, or put {model_path.stem}.txt or labelmap.txt beside it"
    )


# --- download -----------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _log_progress(done: int, total: int | None) -> None:
    if total:
        log.info("downloading model: %d%% (%d of %d bytes)", done * 100 // total, done, total)
    else:
        log.info("downloading model: %d bytes", done)


def _fetch(url: str, into: Path, progress: Callable[[int, int | None], None]) -> None:
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as resp, open(into, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            done, last_step = 0, -1
            while True:
                block = resp.read(1 << 16)
                if not block:
                    break
                out.write(block)
                done += len(block)
                step = done * 10 // total if total else done >> 22  # every 10 %, or every 4 MiB
                if step != last_step:
                    last_step = step
                    progress(done, total)
    except urllib.error.HTTPError as err:
        raise ModelError(f"cannot download the model from {url}: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", None) or err
        raise ModelError(f"cannot download the model from {url}: {reason}") from None


def _write_atomic(data: bytes, dest: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def download_model(
    dest: Path | None = None,
    url: str = MODEL_URL,
    sha256: str | None = MODEL_SHA256,
    force: bool = False,
    progress: Callable[[int, int | None], None] | None = None,
) -> Path:
    """Download the model archive into directory `dest` (default: the cache); the model's path.

    The archive's .tflite (detect.tflite) is saved as MODEL_FILE and its labelmap.txt beside it
    as <stem>.txt. The model is verified against `sha256` before anything is moved into place,
    so a failed or tampered download leaves nothing behind. A URL to a bare .tflite works too.
    """
    dest = Path(dest).expanduser() if dest else cache_dir()
    model_path = dest / MODEL_FILE
    labels_path = model_path.with_suffix(".txt")
    want = sha256.lower() if sha256 else None
    if model_path.is_file() and not force:
        have = sha256_file(model_path)
        if want is None or have == want:
            log.info("model already in place at %s (sha256 %s)", model_path, have)
            return model_path
        log.warning("model at %s has sha256 %s, expected %s: downloading it again", model_path, have, want)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ModelError(f"cannot create {dest}: {err.strerror or err}") from None
    log.info("downloading %s", url)
    fd, tmp_name = tempfile.mkstemp(dir=dest, prefix=".download.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _fetch(url, tmp, progress or _log_progress)
        labels_text: bytes | None = None
        tflite: bytes | None = None
        if zipfile.is_zipfile(tmp):
            with zipfile.ZipFile(tmp) as zf:
                members = [n for n in zf.namelist() if n.lower().endswith(".tflite")]
                if members:
                    name = next((n for n in members if Path(n).name == "detect.tflite"), members[0])
                    tflite = zf.read(name)
                    lm = [n for n in zf.namelist() if Path(n).name == "labelmap.txt"]
                    labels_text = zf.read(lm[0]) if lm else None
        if tflite is None:  # not an archive of a model: the download is the model itself
            tflite = tmp.read_bytes()
        if tflite[4:8] != b"TFL3":
            raise ModelError(f"the download from {url} holds no TFLite model")
        have = hashlib.sha256(tflite).hexdigest()
        if want is not None and have != want:
            raise ModelError(
                f"the model downloaded from {url} has sha256 {have}, expected {want}: not installed"
            )
        _write_atomic(tflite, model_path)
        if labels_text is not None:
            _write_atomic(labels_text, labels_path)
    except zipfile.BadZipFile as err:
        raise ModelError(f"the download from {url} is a broken zip archive: {err}") from None
    finally:
        tmp.unlink(missing_ok=True)
    log.info("model saved to %s (sha256 %s)", model_path, have)
    return model_path


# --- command line -------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("model", help="download the detection model or show where it is")
    msub = parser.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    dl = msub.add_parser("download", help="download and verify the COCO SSD MobileNet model")
    dl.add_argument(
        "--dest", type=Path, help=f"directory (default ${CACHE_ENV}, $XDG_CACHE_HOME/bobby or ~/.cache/bobby)"
    )
    dl.add_argument(
        "--url", default=None, help=f"archive or .tflite URL (default ${MODEL_URL_ENV} or TensorFlow's)"
    )
    dl.add_argument(
        "--sha256", default=MODEL_SHA256, help="expected sha256 of the .tflite (default: the COCO model's)"
    )
    dl.add_argument("--force", action="store_true", help="download even when a verified copy is there")
    dl.set_defaults(func=run_download)
    path = msub.add_parser("path", help="print the path of the model that commands would use")
    path.add_argument(
        "--model", default=None, help=f"a model path to check (default ${MODEL_ENV}, then the cache)"
    )
    path.set_defaults(func=run_path)


def run_download(args: argparse.Namespace) -> int:
    url = args.url or os.environ.get(MODEL_URL_ENV) or MODEL_URL
    try:
        path = download_model(args.dest, url=url, sha256=args.sha256, force=args.force)
    except ModelError as err:
        print(f"bobby-edge model download: {err}", file=sys.stderr)
        return 1
    print(path)
    return 0


def run_path(args: argparse.Namespace) -> int:
    try:
        print(resolve_model(args.model))
    except ModelError as err:
        print(f"bobby-edge model path: {err}", file=sys.stderr)
        return 1
    return 0
