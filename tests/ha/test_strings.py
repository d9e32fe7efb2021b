"""Every translation key the code uses exists, in strings.json and in translations/en.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

from custom_components.bobby_camera import health, repairs

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "bobby_camera"
STRINGS = json.loads((PACKAGE / "strings.json").read_text())


def _source(name: str) -> str:
    return (PACKAGE / name).read_text()


def test_english_translation_is_strings() -> None:
    """HA loads translations/en.json for custom integrations: it must not drift."""
    assert json.loads((PACKAGE / "translations" / "en.json").read_text()) == STRINGS


def test_roi_errors_translated_for_flows_and_actions() -> None:
    """Every RoiError key is a flow error (ROI editor) and an exception (set_rois)."""
    keys = set(re.findall(r'RoiError\(\s*"([a-z_]+)"', _source("rois.py"))) | set(
        re.findall(r'_score\([^)]*"([a-z_]+)"', _source("rois.py"))
    )
    assert keys >= {"too_few_points", "point_out_of_range", "self_intersecting", "duplicate_name"}
    assert keys <= set(STRINGS["options"]["error"]), keys - set(STRINGS["options"]["error"])
    assert keys <= set(STRINGS["exceptions"]), keys - set(STRINGS["exceptions"])


def test_flow_reasons_and_errors_translated() -> None:
    """Aborts and form errors of both flows."""
    source = _source("config_flow.py") + _source("options_flow.py")
    aborts = set(re.findall(r'reason="([a-z_]+)"', source)) | {"already_configured", "reconfigure_successful"}
    config_aborts, options_aborts = set(STRINGS["config"]["abort"]), set(STRINGS["options"]["abort"])
    assert aborts <= config_aborts | options_aborts
    assert {"not_loaded", "invalid_rois", "publish_failed"} <= options_aborts
    errors = set(re.findall(r'errors\[[^\]]+\] = "([a-z_]+)"', source))
    assert errors <= set(STRINGS["config"]["error"]) | set(STRINGS["options"]["error"])
    steps = set(re.findall(r"async def async_step_([a-z_]+)", source)) - {"mqtt", "add_region", "save"}
    assert steps <= set(STRINGS["config"]["step"]) | set(STRINGS["options"]["step"])


def test_issues_and_exceptions_translated() -> None:
    """Repair issues (the service's problems in health.py, the camera's issues in repairs.py) and
    the actions' errors; a fixable issue has a fix flow's text, the others a description."""
    problems = {v for k, v in vars(health).items() if k.startswith("PROBLEM_") and isinstance(v, str)}
    issues = {v for k, v in vars(repairs).items() if k.startswith("ISSUE_") and isinstance(v, str)}
    assert problems | issues - {repairs.ISSUE_SERVICE_PROBLEM} == set(STRINGS["issues"])
    for key, text in STRINGS["issues"].items():
        assert ("fix_flow" in text) == (key in repairs.FIXABLE), key
    used = set(re.findall(r'translation_key="([a-z_]+)"', _source("services.py") + _source("__init__.py")))
    assert used <= set(STRINGS["exceptions"])
