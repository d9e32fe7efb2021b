#!/usr/bin/env python3
"""Fetch the real umqtt.simple from the package index, for the host tests of the firmware.

The firmware uses the umqtt.simple frozen into ESP32 MicroPython builds. The host tests run the
same module under CPython: this script gets the pinned release of `micropython-umqtt.simple`
from the index pip uses and extracts `umqtt/simple.py` into DEST (default .cache/umqtt), which
the tests put on sys.path.

Why not `pip download`: that sdist has neither setup.py nor pyproject.toml, and pip refuses it
("does not appear to be a Python project") before saving it. So this script reads the index's
simple page (PEP 503, the API pip itself uses; PIP_INDEX_URL is honoured), downloads the sdist
and checks it against the pinned SHA-256 before anything is extracted.
"""

from __future__ import annotations

import argparse
import hashlib
import html.parser
import io
import os
import sys
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

PROJECT = "micropython-umqtt.simple"
VERSION = "1.3.4"
SHA256 = "b6a2520239e3992c63a7de9370ee9b3d9d27819a90359c521f1c0f7ccab8d12f"
MEMBER = "umqtt/simple.py"
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEST = ROOT / ".cache" / "umqtt"


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def _index_url() -> str:
    return os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")


def _get(url: str, timeout: float = 60.0) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "bobby-fetch-umqtt", "Accept": "text/html"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read()


def sdist_url() -> str:
    normalised = "micropython-umqtt-simple"  # PEP 503 name of micropython-umqtt.simple
    page = f"{_index_url()}/{normalised}/"
    parser = _Links()
    parser.feed(_get(page).decode("utf-8", "replace"))
    wanted = {f"{PROJECT}-{VERSION}.tar.gz", f"micropython_umqtt_simple-{VERSION}.tar.gz"}
    for href in parser.links:
        url = urllib.parse.urljoin(page, href)
        name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        if name in wanted:
            return url.split("#", 1)[0]
    raise SystemExit(f"fetch_umqtt: {PROJECT} {VERSION} (sdist) is not on {page}")


def fetch(dest: Path = DEFAULT_DEST) -> Path:
    """Make DEST/umqtt/simple.py the pinned release's; returns DEST (put it on sys.path)."""
    target = dest / MEMBER
    stamp = dest / "VERSION"
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == f"{VERSION} {SHA256}":
        return dest
    url = sdist_url()
    data = _get(url)
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"fetch_umqtt: {url} has SHA-256 {digest}, expected {SHA256}")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = next((m for m in tar.getmembers() if m.name.endswith("/" + MEMBER) and m.isfile()), None)
        if member is None:
            raise SystemExit(f"fetch_umqtt: {MEMBER} is not in {url}")
        source = tar.extractfile(member).read()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Per process: the test suite's parallel workers may fetch at the same time; each replace is whole.
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(source)
    tmp.replace(target)
    stamp_tmp = stamp.with_suffix(f".{os.getpid()}.tmp")
    stamp_tmp.write_text(f"{VERSION} {SHA256}\n")
    stamp_tmp.replace(stamp)
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--dest", type=Path, default=DEFAULT_DEST, help=f"directory to extract into (default {DEFAULT_DEST})"
    )
    args = ap.parse_args(argv)
    print(fetch(args.dest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
