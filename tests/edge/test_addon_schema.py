"""The add-on repository as the Supervisor reads it: repository.yaml, addon/config.yaml, translations.

The rules are those of the Supervisor's own validation (home-assistant/supervisor:
supervisor/apps/validate.py SCHEMA_APP_CONFIG, supervisor/apps/options.py RE_SCHEMA_ELEMENT and
AppOptions, supervisor/validate.py docker_image, supervisor/store/validate.py and store/data.py),
re-stated here for the keys this add-on uses. The Supervisor drops a key it does not know without
a word and refuses an add-on whose config does not validate (it then vanishes from the store), so
both fail here instead.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import voluptuous as vol
import yaml

from scripts import release

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "addon"

# supervisor/const.py ARCH_ALL (ARCH_DEPRECATED: armhf, armv7, i386 are accepted with a warning).
ARCH_ALL = {"aarch64", "amd64"}
ARCH_DEPRECATED = {"armhf", "armv7", "i386"}
# supervisor/apps/const.py MappingType; the last three are the legacy names (2026.07), still valid.
MAP_TYPES = {
    "data", "config", "ssl", "local_apps", "backup", "share", "media", "homeassistant_config",
    "all_app_configs", "app_config", "addons", "all_addon_configs", "addon_config",
}  # fmt: skip
STARTUP = {"initialize", "system", "services", "application", "once"}  # AppStartup
BOOT = {"auto", "manual", "manual_only"}  # AppBootConfig
SLUG = re.compile(r"^[-_.A-Za-z0-9]+$")  # RE_SLUG
SERVICE = re.compile(r"^(?P<service>mqtt|mysql):(?P<rights>provide|want|need)$")  # RE_SERVICE
# The keys of SCHEMA_APP_CONFIG: anything else is removed (vol.REMOVE_EXTRA) and so has no effect.
KNOWN_KEYS = {
    "name", "version", "slug", "description", "arch", "machine", "url", "startup", "boot", "init",
    "advanced", "stage", "ports", "ports_description", "watchdog", "webui", "ingress", "ingress_port",
    "ingress_entry", "ingress_stream", "panel_icon", "panel_title", "panel_admin", "homeassistant",
    "host_network", "host_pid", "host_ipc", "host_uts", "host_dbus", "devices", "udev", "tmpfs", "map",
    "environment", "privileged", "apparmor", "full_access", "audio", "video", "gpio", "usb", "uart",
    "devicetree", "kernel_modules", "realtime", "hassio_api", "hassio_role", "homeassistant_api",
    "stdin", "legacy", "docker_api", "auth_api", "services", "discovery", "backup_exclude",
    "backup_pre", "backup_post", "backup", "options", "schema", "image", "ulimits", "timeout",
    "journald", "breaking_versions",
}  # fmt: skip

# An option type, as RE_SCHEMA_ELEMENT (supervisor/apps/options.py) defines the grammar.
OPTION_TYPE = re.compile(
    r"^(?:bool|email|url|port"
    r"|device(?:\(subsystem=[a-z]+\))?"
    r"|(?P<str>str|password)(?:\((?P<s_min>\d+)?,(?P<s_max>\d+)?\))?"
    r"|(?P<int>int)(?:\((?P<i_min>-?\d+)?,(?P<i_max>-?\d+)?\))?"
    r"|(?P<float>float)(?:\((?P<f_min>-?\d*\.?\d+)?,(?P<f_max>-?\d*\.?\d+)?\))?"
    r"|match\((?P<match>.*)\)"
    r"|list\((?P<list>.+)\)"
    r")(?P<optional>\?)?$"
)
IMAGE_PATH_COMPONENT = re.compile(r"^[a-z0-9{][a-z0-9.\-_{}]*$")  # supervisor/validate.py
REGISTRY = re.compile(r"^([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}$")  # RE_REGISTRY


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def docker_image(image: str) -> str:
    """supervisor/validate.py docker_image: a lowercase registry, lowercase path parts, no tag."""
    first, _, rest = image.partition("/")
    registry, path = (first, rest) if rest and ("." in first or ":" in first) else (None, image)
    if registry is not None:
        assert registry == registry.lower() and REGISTRY.match(registry), f"registry {registry!r}"
    assert path and ":" not in path, f"{image}: no name, or a tag (the version is the tag)"
    for part in path.split("/"):
        assert IMAGE_PATH_COMPONENT.match(part), f"{image}: path component {part!r}"
    return image


def option_validator(typ):
    """What AppOptions._single_validate applies to a value of this type (the kinds we can use);
    a list of one dict is a list of such dicts (AppOptions._nested_validate_list/_dict: each
    field by its type, a field without '?' required, an unknown one dropped)."""
    if isinstance(typ, list):
        assert len(typ) == 1 and isinstance(typ[0], dict), "a nested option is a list of one dict"
        fields = {key: option_validator(t) for key, t in typ[0].items()}
        required = [key for key, t in typ[0].items() if not t.endswith("?")]

        def each(value):
            if not isinstance(value, dict):
                raise vol.Invalid("expected a dict")
            missing = [key for key in required if key not in value]
            if missing:
                raise vol.Invalid(f"missing {missing}")
            return {key: fields[key](v) for key, v in value.items() if key in fields}

        return vol.All(list, [each])
    m = OPTION_TYPE.match(typ)
    assert m, f"{typ!r} is not an option type the Supervisor knows"
    bounds = {k: float(v) for k, v in m.groupdict().items() if k[1:3] == "_m" and v}
    rng = {key[2:]: value for key, value in bounds.items()}
    if m["str"]:
        return vol.All(str, vol.Length(**rng))
    if m["int"]:
        return vol.All(vol.Coerce(int), vol.Range(**rng))
    if m["float"]:
        return vol.All(vol.Coerce(float), vol.Range(**rng))
    if typ.startswith("bool"):
        return vol.Boolean()
    if m["list"]:
        return vol.All(str, vol.In(m["list"].split("|")))
    if m["match"] is not None:
        return vol.All(str, vol.Match(m["match"]))
    pytest.fail(f"type {typ!r}: this test does not know how the Supervisor checks it yet")


@pytest.fixture(scope="module")
def config() -> dict:
    return load(ADDON / "config.yaml")


def test_the_supervisor_finds_one_addon_in_the_repository():
    # supervisor/store/data.py: every config.{json,yaml,yml} below the repository is an add-on,
    # except under dot folders and rootfs/.
    # The Supervisor clones the repository, so what git tracks is what it sees.
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    found = [
        name
        for name in tracked.stdout.splitlines()
        if re.fullmatch(r"config\.(json|yaml|yml)", Path(name).name)
        and not [part for part in Path(name).parts if part.startswith(".") or part == "rootfs"]
    ]
    assert found == ["addon/config.yaml"]
    # supervisor/store/validate.py SCHEMA_REPOSITORY_CONFIG
    repository = load(ROOT / "repository.yaml")
    assert isinstance(repository["name"], str) and repository["name"]
    vol.Url()(repository["url"])
    assert isinstance(repository.get("maintainer", ""), str)


def test_config_yaml_has_only_keys_the_supervisor_knows_with_valid_values(config):
    assert set(config) <= KNOWN_KEYS, f"ignored by the Supervisor: {set(config) - KNOWN_KEYS}"
    for key in ("name", "version", "slug", "description", "arch"):
        assert key in config, f"required: {key}"
    assert isinstance(config["name"], str) and isinstance(config["description"], str)
    assert SLUG.match(config["slug"])
    # The version: a string (YAML would make 1.10 a float), the project's one version.
    assert isinstance(config["version"], str) and config["version"] == release.check()
    assert config["arch"] and set(config["arch"]) <= ARCH_ALL, f"deprecated: {set(config['arch']) - ARCH_ALL}"
    assert not set(config["arch"]) & ARCH_DEPRECATED
    vol.Url()(config["url"])
    assert config.get("startup", "application") in STARTUP
    assert config.get("boot", "auto") in BOOT
    for key in ("init", "apparmor", "host_network", "full_access", "hassio_api", "homeassistant_api"):
        assert isinstance(config.get(key, False), bool), key
    assert 10 <= int(config.get("timeout", 10)) <= 300
    for service in config.get("services", []):
        assert SERVICE.match(service), service


def test_map_entries_are_types_the_supervisor_mounts(config):
    for entry in config["map"]:
        # A dict entry needs `type` (the Supervisor skips one without), read_only a real bool.
        assert isinstance(entry, dict) and set(entry) <= {"type", "read_only", "path"}, entry
        assert entry["type"] in MAP_TYPES, entry
        assert isinstance(entry.get("read_only", True), bool), entry
    types = [entry["type"] for entry in config["map"]]
    assert len(types) == len(set(types))
    # `config` (the old name of homeassistant_config) would make the Supervisor ignore addon_config.
    assert "config" not in types
    # addon_config is the name every Supervisor knows (app_config only from 2026.07); both not at once.
    assert not {"addon_config", "app_config"} <= set(types)


def test_the_image_is_the_release_workflows_for_every_architecture(config):
    image = config["image"]
    docker_image(image)
    assert "{arch}" in image
    for arch in config["arch"]:
        docker_image(image.format(arch=arch))
    # What the release workflow builds and pushes (scripts/release.py addon -> HA's builder actions).
    out = release.addon_image()
    assert image == f"{out['registry_prefix']}/{{arch}}-{out['image_name']}"
    assert json.loads(out["architectures"]) == sorted(config["arch"])
    # The owner is the project's: the one of the integration's URLs and of config.yaml's url.
    manifest = json.loads((ROOT / "custom_components" / "bobby_camera" / "manifest.json").read_text())
    owner = re.match(r"https://github\.com/([^/]+)/", manifest["documentation"])[1]
    assert out["registry_prefix"] == f"ghcr.io/{owner.lower()}"
    assert config["url"].startswith(f"https://github.com/{owner}/")
    assert load(ROOT / "repository.yaml")["url"].startswith(f"https://github.com/{owner}/")


def test_schema_types_and_options_pass_the_supervisors_checks(config):
    schema, options = config["schema"], config["options"]
    assert isinstance(schema, dict) and isinstance(options, dict)
    validators = {key: option_validator(typ) for key, typ in schema.items()}
    # AppOptions: an option not in the schema is dropped with a warning; each value is checked
    # against its type; a schema key without a value must be optional ('?').
    assert set(options) <= set(schema), f"dropped by the Supervisor: {set(options) - set(schema)}"
    for key, value in options.items():
        validators[key](value)
    missing = [
        key
        for key in schema
        if key not in options and not (isinstance(schema[key], list) or schema[key].endswith("?"))
    ]
    assert missing == [], f"the Supervisor would refuse to start the add-on: missing {missing}"


@pytest.mark.parametrize(
    ("typ", "good", "bad"),
    [
        (
            [{"id": "match(^[a-z]+$)", "source": "password", "fps": "float(0.1,30)?"}],
            [[], [{"id": "door", "source": "rtsp://x"}], [{"id": "a", "source": "s", "fps": 2}]],
            [[{"id": "door"}], [{"id": "Door", "source": "s"}], [{"id": "a", "source": "s", "fps": 99}], "x"],
        ),
        ("int(0,16)", [0, 16, "4"], [17, -1, "many"]),
        ("float(0.05,0.99)", [0.05, 0.5, "0.7"], [1.0, 0.01]),
        ("list(debug|info)", ["info"], ["verbose"]),
        ("str?", ["", "x"], [3]),
        ("bool", [True, "on"], ["maybe"]),
    ],
)
def test_the_option_rules_themselves(typ, good, bad):
    # The restated rules accept and refuse what the Supervisor's do (its own test cases' kinds).
    check = option_validator(typ)
    for value in good:
        check(value)
    for value in bad:
        with pytest.raises(vol.Invalid):
            check(value)
    assert OPTION_TYPE.match("int(,5)") and OPTION_TYPE.match("password(8,)?")
    assert not OPTION_TYPE.match("integer") and not OPTION_TYPE.match("str(a,b)")


def test_translations_are_what_the_supervisor_reads(config):
    # supervisor/apps/validate.py SCHEMA_APP_TRANSLATIONS, for every file of translations/.
    files = sorted((ADDON / "translations").glob("*"))
    assert [f.name for f in files] == ["en.yaml"]
    for path in files:
        data = load(path)
        assert set(data) <= {"configuration", "network"}
        for key, entry in data["configuration"].items():
            assert key in config["schema"], f"{path.name}: {key} is not an option"
            assert isinstance(entry["name"], str) and entry["name"]
            assert entry.get("description") is None or isinstance(entry["description"], str)


def test_the_docker_image_rule_refuses_what_the_supervisor_refuses():
    for good in ("ghcr.io/bobby-camera/{arch}-bobby-listen-frame", "homeassistant/amd64-addon-whisper"):
        docker_image(good)
    for bad in ("ghcr.io/Bobby/x", "GHCR.io/bobby/x", "ghcr.io/bobby/x:1.0", "ghcr.io/bobby/X"):
        with pytest.raises(AssertionError):
            docker_image(bad)
