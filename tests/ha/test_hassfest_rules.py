"""The rules of Home Assistant's hassfest and of HACS that this repository has hit, read here as
those tools read them, so a regression fails in `make test` and not first on GitHub
(.github/workflows/validate.yaml runs the real tools there; scripts/hassfest.sh runs them offline).

Each rule is a function returning the problems it finds; it runs on the repository (no problem)
and on broken copies made in tmp_path (the problem is found), so no rule can pass vacuously.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol
from awesomeversion import AwesomeVersion
from homeassistant import components as ha_components
from homeassistant.const import Platform
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.helpers import config_validation as cv
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "custom_components" / "bobby_camera"
HA_COMPONENTS = Path(ha_components.__path__[0])  # the integrations of the installed Home Assistant

# --- manifest.json: key order (script/util.py sort_manifest) -------------------------------------


def manifest_order_problems(manifest: dict[str, Any]) -> list[str]:
    """hassfest's manifest plugin: "domain", "name", then the other keys alphabetically."""
    keys = list(manifest)
    wanted = sorted(keys, key=lambda key: {"domain": ".domain", "name": ".name"}.get(key, key))
    return [] if keys == wanted else [f"manifest keys are not sorted: {keys} (want {wanted})"]


# --- dependencies: script/hassfest/dependencies.py -----------------------------------------------

# hassfest's ALLOWED_USED_COMPONENTS (2025.4): integrations anyone may import without listing them.
ALLOWED_USED_COMPONENTS = {platform.value for platform in Platform} | {
    "alert",
    "automation",
    "conversation",
    "default_config",
    "device_automation",
    "frontend",
    "group",
    "homeassistant",
    "input_boolean",
    "input_button",
    "input_datetime",
    "input_number",
    "input_select",
    "input_text",
    "media_source",
    "onboarding",
    "panel_custom",
    "persistent_notification",
    "person",
    "script",
    "shopping_list",
    "sun",
    "system_health",
    "system_log",
    "timer",
    "webhook",
    "websocket_api",
    "zone",
    "mjpeg",
    "stream",
}


class _Imports(ast.NodeVisitor):
    """The integrations a module imports from, as hassfest's ImportCollector collects them."""

    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return  # imports for type checking only load nothing
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module is None:
            return
        if node.module == "homeassistant.components.http.auth" and [n.name for n in node.names] == [
            "async_sign_path"
        ]:
            return  # hassfest's one exception
        if node.module.startswith("homeassistant.components."):
            self.found.add(node.module.split(".")[2])
        elif node.module == "homeassistant.components":
            self.found.update(name.name for name in node.names)

    def visit_Import(self, node: ast.Import) -> None:
        for name in node.names:
            if name.name.startswith("homeassistant.components."):
                self.found.add(name.name.split(".")[2])


def dependency_problems(package: Path) -> list[str]:
    """Every integration imported is in dependencies or after_dependencies (or may always be
    imported, or is one of this integration's platforms); the lists exist and do not overlap."""
    manifest = json.loads((package / "manifest.json").read_text())
    dependencies = set(manifest.get("dependencies", []))
    after = set(manifest.get("after_dependencies", []))
    problems = [
        f"{dep} is both in dependencies and after_dependencies" for dep in sorted(dependencies & after)
    ]
    problems += [
        f"{dep} is not an integration of Home Assistant {HA_VERSION}"
        for dep in sorted(dependencies | after)
        if not (HA_COMPONENTS / dep / "manifest.json").is_file()
    ]
    allowed = ALLOWED_USED_COMPONENTS | dependencies | after | {manifest["domain"]}
    for path in sorted(package.glob("**/*.py")):
        collector = _Imports()
        collector.visit(ast.parse(path.read_text(), str(path)))
        for domain in sorted(collector.found - allowed):
            if (package / f"{domain}.py").is_file() or (package / domain).is_dir():
                continue  # a platform of this integration (camera.py imports camera)
            problems.append(
                f"{path.relative_to(package)}: Using component {domain} but it's not in "
                "'dependencies' or 'after_dependencies'"
            )
    return problems


# --- strings.json, translations/en.json: script/hassfest/translations.py -------------------------

RE_PLACEHOLDER_IN_SINGLE_QUOTES = re.compile(r"'{\w+}'")
RE_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
RE_REFERENCE = re.compile(r"\[%key:(.+)%\]")


def _leaves(tree: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, f"{path}.{key}" if path else key)
    else:
        yield path, tree


def string_problems(strings: dict[str, Any]) -> list[str]:
    """hassfest's translation_value_validator, on every string: no HTML, no placeholder inside
    single quotes, no combined reference, no leading or trailing space."""
    problems = []
    for path, value in _leaves(strings):
        if not isinstance(value, str):
            problems.append(f"{path}: not a string")
            continue
        try:
            cv.string_with_no_html(value)
        except vol.Invalid as err:
            problems.append(f"{path}: {err}")
        if RE_PLACEHOLDER_IN_SINGLE_QUOTES.search(value):
            problems.append(f"{path}: the string should not contain placeholders inside single quotes")
        if RE_COMBINED_REFERENCE.search(value):
            problems.append(f"{path}: the string should not contain combined translations")
        if value != value.strip():
            problems.append(f"{path}: the string should not contain leading or trailing spaces")
    return problems


def _resolved(strings: dict[str, Any], domain: str) -> dict[str, Any]:
    """strings.json as HA's translation script writes translations/en.json: `[%key:…%]`
    references to this integration's own strings replaced by their text."""

    def resolve(tree: Any) -> Any:
        if isinstance(tree, dict):
            return {key: resolve(value) for key, value in tree.items()}
        if isinstance(tree, str) and (match := RE_REFERENCE.fullmatch(tree)):
            parts = match.group(1).split("::")
            if parts[:2] != ["component", domain]:
                return tree  # another integration's: HA's frontend resolves those
            node: Any = strings
            for part in parts[2:]:
                node = node[part]
            return node
        return tree

    return resolve(strings)


def english_problems(package: Path) -> list[str]:
    """Custom integrations are translated from translations/en.json only (strings.json is for
    hassfest): it must be strings.json, resolved, key for key."""
    strings = json.loads((package / "strings.json").read_text())
    english_path = package / "translations" / "en.json"
    if not english_path.is_file():
        return ["translations/en.json is missing"]
    english = json.loads(english_path.read_text())
    want = dict(_leaves(_resolved(strings, package.name)))
    have = dict(_leaves(english))
    return [
        f"translations/en.json {key}: {have.get(key)!r}, strings.json: {want.get(key)!r}"
        for key in sorted(want.keys() | have.keys())
        if want.get(key) != have.get(key)
    ]


# --- brand images: the brands repository's README, "Image specification" -------------------------

BRAND_FILES = ("icon.png", "icon@2x.png", "logo.png", "logo@2x.png")


def _image_problems(path: Path, kind: str, scale: int) -> list[str]:
    name = path.name
    with Image.open(path) as img:
        if img.format != "PNG":
            return [f"{name}: not a PNG"]
        if img.mode != "RGBA":
            return [f"{name}: mode {img.mode}, not RGBA (a transparent background)"]
        width, height = img.size
        alpha = img.getchannel("A")
        box = alpha.getbbox()
        corners = [
            alpha.getpixel(xy) for xy in ((0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1))
        ]
    problems = []
    if kind == "icon" and img.size != (256 * scale, 256 * scale):
        problems.append(f"{name}: {width}x{height}, an icon is {256 * scale}x{256 * scale}")
    if kind == "logo":
        if width < height:
            problems.append(f"{name}: {width}x{height}, a logo is landscape")
        if not 128 * scale <= min(width, height) <= 256 * scale:
            problems.append(f"{name}: shortest side {min(width, height)}, not {128 * scale} to {256 * scale}")
    if box is None:
        return [*problems, f"{name}: fully transparent"]
    if max(corners) == 255:
        problems.append(f"{name}: an opaque corner (the background must be transparent)")
    # Trimmed: the drawing reaches both edges across (an icon may keep a margin the other way).
    left, top, right, bottom = box
    across = (left == 0 and right == width) or (top == 0 and bottom == height)
    if not across or (kind == "logo" and box != (0, 0, width, height)):
        problems.append(f"{name}: not trimmed (drawing in {box} of {width}x{height})")
    return problems


def brand_problems(folder: Path) -> list[str]:
    """icon.png 256x256 (HACS 2 and HA read brand/icon.png first), icon@2x.png 512x512, logos
    landscape with the shortest side 128-256 (@2x: 256-512, twice the 1x); dark_* variants by the
    same rules."""
    if not (folder / "icon.png").is_file():
        return ["brand/icon.png is missing"]
    problems = []
    for prefix in ("", "dark_"):
        for name in BRAND_FILES:
            path = folder / f"{prefix}{name}"
            if not path.is_file():
                if not prefix:
                    problems.append(f"brand/{name} is missing")
                continue
            problems += _image_problems(
                path, name.split("@")[0].removesuffix(".png"), 2 if "@2x" in name else 1
            )
        logo, logo2 = folder / f"{prefix}logo.png", folder / f"{prefix}logo@2x.png"
        if logo.is_file() and logo2.is_file():
            with Image.open(logo) as one, Image.open(logo2) as two:
                if two.size != (one.width * 2, one.height * 2):
                    problems.append(f"{logo2.name}: {two.size}, not twice {logo.name}'s {one.size}")
    for path in folder.iterdir():
        if path.name.removeprefix("dark_") not in BRAND_FILES:
            problems.append(f"brand/{path.name}: not a brand image name")
    return problems


# --- LICENSE and hacs.json: HACS's repository checks (hacs/integration utils/validate.py) --------

HACS_JSON_SCHEMA = vol.Schema(
    {
        vol.Optional("content_in_root"): bool,
        vol.Optional("country"): object,
        vol.Optional("filename"): str,
        vol.Optional("hacs"): str,
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("homeassistant"): str,
        vol.Optional("persistent_directory"): str,
        vol.Optional("render_readme"): bool,
        vol.Optional("zip_release"): bool,
        vol.Required("name"): str,
    },
    extra=vol.PREVENT_EXTRA,
)
HACS_MANIFEST_SCHEMA = vol.Schema(
    {
        vol.Required("codeowners"): list,
        vol.Required("documentation"): cv.url,
        vol.Required("domain"): str,
        vol.Required("issue_tracker"): cv.url,
        vol.Required("name"): str,
        vol.Required("version"): vol.Coerce(AwesomeVersion),
    },
    extra=vol.ALLOW_EXTRA,
)


def hacs_problems(root: Path) -> list[str]:
    """hacs.json and the manifest by HACS's schemas; one integration whose folder is its domain;
    a README; a licence HACS can detect, the one pyproject.toml declares."""
    problems = []
    hacs = json.loads((root / "hacs.json").read_text())
    try:
        HACS_JSON_SCHEMA(hacs)
    except vol.Invalid as err:
        problems.append(f"hacs.json: {err}")
    if hacs.get("zip_release") and not hacs.get("filename"):
        problems.append("hacs.json: zip_release without filename")
    if "homeassistant" in hacs and not (
        AwesomeVersion(hacs["homeassistant"]).valid and AwesomeVersion(hacs["homeassistant"]) <= HA_VERSION
    ):
        problems.append(
            f"hacs.json: homeassistant {hacs['homeassistant']} is not a version up to {HA_VERSION}"
        )
    folders = [path for path in (root / "custom_components").iterdir() if path.is_dir()]
    if len(folders) != 1:
        return [*problems, f"custom_components holds {len(folders)} integrations, HACS wants one"]
    manifest = json.loads((folders[0] / "manifest.json").read_text())
    try:
        HACS_MANIFEST_SCHEMA(manifest)
    except vol.Invalid as err:
        problems.append(f"manifest.json: {err}")
    if manifest.get("domain") != folders[0].name:
        problems.append(f"manifest.json: domain {manifest.get('domain')} is not the folder {folders[0].name}")
    if (HA_COMPONENTS / folders[0].name).exists():
        problems.append(f"{folders[0].name} is a core integration's domain")
    if not (root / "README.md").is_file():
        problems.append("README.md is missing")
    licence = root / "LICENSE"
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["license"]
    if not licence.is_file():
        problems.append("LICENSE is missing")
    elif declared == "MIT" and not licence.read_text().startswith("MIT License\n"):
        problems.append("LICENSE is not the MIT licence pyproject.toml declares")
    return problems


# --- the repository passes ------------------------------------------------------------------------


def test_manifest_keys_in_hassfest_order() -> None:
    """Broken once by appending a key at the end; hassfest --action validate fails on it."""
    assert manifest_order_problems(json.loads((PACKAGE / "manifest.json").read_text())) == []


def test_every_imported_integration_is_a_dependency() -> None:
    """card.py uses http and lovelace: after_dependencies (they are set up before us when loaded)."""
    assert dependency_problems(PACKAGE) == []
    manifest = json.loads((PACKAGE / "manifest.json").read_text())
    assert {"http", "lovelace"} <= set(manifest["after_dependencies"])


@pytest.mark.parametrize("name", ["strings.json", "translations/en.json"])
def test_strings_follow_hassfest(name: str) -> None:
    assert string_problems(json.loads((PACKAGE / name).read_text())) == []


def test_english_translation_is_strings_resolved() -> None:
    assert english_problems(PACKAGE) == []


def test_brand_images() -> None:
    assert brand_problems(PACKAGE / "brand") == []
    assert (PACKAGE / "brand" / "dark_icon.png").is_file()


def test_hacs_repository_checks() -> None:
    assert hacs_problems(ROOT) == []


# --- each rule finds what it is for ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("manifest", "bad"),
    [
        ({"domain": "x", "name": "X", "version": "1", "codeowners": []}, True),
        ({"name": "X", "domain": "x", "codeowners": [], "version": "1"}, True),
        ({"domain": "x", "name": "X", "codeowners": [], "version": "1"}, False),
    ],
)
def test_manifest_order_rule(manifest: dict[str, Any], bad: bool) -> None:
    assert bool(manifest_order_problems(manifest)) is bad


def _copy_package(tmp_path: Path) -> Path:
    package = tmp_path / "bobby_camera"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    return package


def _edit_manifest(package: Path, **changes: Any) -> None:
    path = package / "manifest.json"
    manifest = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            manifest.pop(key, None)
        else:
            manifest[key] = value
    path.write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("source", "manifest", "found"),
    [
        ("", {"after_dependencies": None}, "card.py: Using component http"),
        ("", {"after_dependencies": ["http"]}, "card.py: Using component lovelace"),
        ("from homeassistant.components import zeroconf\n", {}, "extra.py: Using component zeroconf"),
        ("import homeassistant.components.ffmpeg.const\n", {}, "extra.py: Using component ffmpeg"),
        ("", {"dependencies": ["mqtt", "http"]}, "http is both in dependencies and after_dependencies"),
        ("", {"after_dependencies": ["http", "lovelace", "no_such"]}, "no_such is not an integration"),
    ],
)
def test_dependency_rule(tmp_path: Path, source: str, manifest: dict[str, Any], found: str) -> None:
    package = _copy_package(tmp_path)
    (package / "extra.py").write_text(source)
    _edit_manifest(package, **manifest)
    assert any(problem.startswith(found) for problem in dependency_problems(package)), dependency_problems(
        package
    )


def test_dependency_rule_skips_what_hassfest_skips(tmp_path: Path) -> None:
    """TYPE_CHECKING imports, always-allowed integrations and the sign-path import are fine."""
    package = _copy_package(tmp_path)
    (package / "extra.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from homeassistant.components.http.auth import async_sign_path\n"
        "from homeassistant.components.sensor import SensorEntity\n"
        "from homeassistant.components import persistent_notification\n"
        "if TYPE_CHECKING:\n    from homeassistant.components.recorder import Recorder\n"
    )
    assert dependency_problems(package) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Region '{region}': too small", "placeholders inside single quotes"),
        ("Press <b>send</b>", "HTML"),
        ("See [%key:common::x%] there", "combined translations"),
        ("Trailing space ", "leading or trailing spaces"),
        (3, "not a string"),
    ],
)
def test_string_rule(text: Any, problem: str) -> None:
    found = string_problems(
        {"exceptions": {"bad": {"message": text}, "good": {"message": 'Region "{r}": ok'}}}
    )
    assert len(found) == 1
    assert found[0].startswith("exceptions.bad.message: ")
    assert problem in found[0]


def test_english_rule(tmp_path: Path) -> None:
    package = _copy_package(tmp_path)
    english = json.loads((package / "translations" / "en.json").read_text())
    english["exceptions"]["invalid_name"]["message"] = "drifted"
    (package / "translations" / "en.json").write_text(json.dumps(english))
    assert [p.split(":")[0] for p in english_problems(package)] == [
        "translations/en.json exceptions.invalid_name.message"
    ]
    # A reference to one of our own strings is resolved, as HA's translation script does.
    strings = json.loads((package / "strings.json").read_text())
    strings["exceptions"]["invalid_name"]["message"] = (
        "[%key:component::bobby_camera::exceptions::drifted::message%]"
    )
    strings["exceptions"]["drifted"] = {"message": "drifted"}
    english["exceptions"]["drifted"] = {"message": "drifted"}
    (package / "strings.json").write_text(json.dumps(strings))
    (package / "translations" / "en.json").write_text(json.dumps(english))
    assert english_problems(package) == []


def _brand_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "brand"
    shutil.copytree(PACKAGE / "brand", folder)
    return folder


def _shrink(path: Path) -> None:
    with Image.open(path) as img:
        img.resize((200, 200)).save(path)


def _opaque(path: Path) -> None:
    with Image.open(path) as img:
        img.convert("RGB").save(path)


def _white_background(path: Path) -> None:
    with Image.open(path) as img:
        out = Image.new("RGBA", img.size, "white")
        out.alpha_composite(img)
        out.save(path)


def _pad(path: Path) -> None:
    with Image.open(path) as img:
        out = Image.new("RGBA", (img.width + 40, img.height), (0, 0, 0, 0))
        out.paste(img, (20, 0))
        out.resize(img.size).save(path)


def _too_tall(path: Path) -> None:
    with Image.open(path) as img:
        img.resize((img.width * 2, 300)).save(path)


def _portrait(path: Path) -> None:
    with Image.open(path) as img:
        img.resize((256, 600)).save(path)


@pytest.mark.parametrize(
    ("name", "damage", "found"),
    [
        ("icon.png", Path.unlink, "brand/icon.png is missing"),
        ("icon@2x.png", Path.unlink, "brand/icon@2x.png is missing"),
        ("icon.png", _shrink, "icon.png: 200x200, an icon is 256x256"),
        ("icon.png", _opaque, "icon.png: mode RGB"),
        ("dark_icon@2x.png", _white_background, "dark_icon@2x.png: an opaque corner"),
        ("logo.png", _pad, "logo.png: not trimmed"),
        ("logo.png", _too_tall, "logo.png: shortest side 300"),
        ("logo@2x.png", _shrink, "logo@2x.png: shortest side 200, not 256 to 512"),
        ("dark_logo.png", _portrait, "dark_logo.png: 256x600, a logo is landscape"),
    ],
)
def test_brand_rule(tmp_path: Path, name: str, damage: Any, found: str) -> None:
    folder = _brand_copy(tmp_path)
    damage(folder / name)
    problems = brand_problems(folder)
    assert any(problem.startswith(found) for problem in problems), problems


def test_brand_rule_names(tmp_path: Path) -> None:
    folder = _brand_copy(tmp_path)
    shutil.copy(folder / "icon.png", folder / "Icon.PNG")
    assert brand_problems(folder) == ["brand/Icon.PNG: not a brand image name"]


def _repo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "custom_components").mkdir(parents=True)
    shutil.copytree(
        PACKAGE, root / "custom_components" / "bobby_camera", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("hacs.json", "LICENSE", "README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, root / name)
    return root


def _edit_json(path: Path, **changes: Any) -> None:
    data = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("damage", "found"),
    [
        (lambda r: (r / "LICENSE").unlink(), "LICENSE is missing"),
        (lambda r: (r / "LICENSE").write_text("All rights reserved\n"), "LICENSE is not the MIT"),
        (lambda r: (r / "README.md").unlink(), "README.md is missing"),
        (lambda r: _edit_json(r / "hacs.json", domains=["bobby_camera"]), "hacs.json: extra keys"),
        (lambda r: _edit_json(r / "hacs.json", name=None), "hacs.json: required key"),
        (lambda r: _edit_json(r / "hacs.json", zip_release=True), "hacs.json: zip_release without"),
        (lambda r: _edit_json(r / "hacs.json", homeassistant="2099.1.0"), "hacs.json: homeassistant 2099"),
        (
            lambda r: _edit_json(r / "custom_components/bobby_camera/manifest.json", version=None),
            "manifest.json",
        ),
        (
            lambda r: _edit_json(r / "custom_components/bobby_camera/manifest.json", issue_tracker="x"),
            "manifest.json",
        ),
        (
            lambda r: _edit_json(r / "custom_components/bobby_camera/manifest.json", domain="bobby"),
            "manifest.json",
        ),
        (lambda r: (r / "custom_components/other").mkdir(), "custom_components holds 2"),
    ],
)
def test_hacs_rule(tmp_path: Path, damage: Any, found: str) -> None:
    root = _repo_copy(tmp_path)
    assert hacs_problems(root) == []
    damage(root)
    problems = hacs_problems(root)
    assert any(problem.startswith(found) for problem in problems), problems


def test_hacs_rule_core_domain(tmp_path: Path) -> None:
    """A custom integration named like a core one (here: mqtt) is refused by HACS."""
    root = _repo_copy(tmp_path)
    (root / "custom_components" / "bobby_camera").rename(root / "custom_components" / "mqtt")
    _edit_json(root / "custom_components" / "mqtt" / "manifest.json", domain="mqtt")
    assert hacs_problems(root) == ["mqtt is a core integration's domain"]
