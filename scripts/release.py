"""The project's one version number, and what the release workflow needs to know about the add-on.

The version lives in four files that must agree: pyproject.toml (the `bobby-edge` package),
edge_agent/__init__.py (`bobby-edge --version`, the discovery's `sw_version`), addon/config.yaml
(the add-on the Supervisor installs, and the tag of its image) and
custom_components/bobby_camera/manifest.json (the integration). addon/CHANGELOG.md has an entry
for it. Standard library only: the release workflow runs it before anything is installed.

    python scripts/release.py version [--tag vX.Y.Z]   check, print the version
    python scripts/release.py bump X.Y.Z                set it in the four files
    python scripts/release.py addon                     the add-on's image, architectures, name
                                                        (GitHub output lines)
    python scripts/release.py notes X.Y.Z               the changelog entry of a version
    python scripts/release.py wheel FILE                check a built wheel's contents
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# PEP 440 in its normalised form, releases and pre-releases only: the same string is then the
# wheel's file name part, the `==` pin the add-on's Dockerfile installs, a Docker tag and a version
# Home Assistant's manifest check accepts.
VERSION_RE = re.compile(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?")

# (file, pattern whose group 2 is the version): one match each, replaced in place by `bump`, so
# that nothing else in the file changes (other keys of manifest.json are other people's).
PLACES: dict[str, re.Pattern[str]] = {
    "pyproject.toml": re.compile(r'(?m)^(version\s*=\s*")([^"]*)(")'),
    "edge_agent/__init__.py": re.compile(r'(?m)^(__version__\s*=\s*")([^"]*)(")'),
    "addon/config.yaml": re.compile(r'(?m)^(version:\s*"?)([^"\s#]*)("?)'),
    "custom_components/bobby_camera/manifest.json": re.compile(r'(?m)^(\s*"version":\s*")([^"]*)(")'),
}
CHANGELOG = "addon/CHANGELOG.md"

# config.yaml's `image:`: <registry>/<owner>/{arch}-<name>, the names HA's builder actions make
# (prepare-multi-arch-matrix, publish-multi-arch-manifest).
IMAGE_RE = re.compile(r"(?P<prefix>ghcr\.io/[a-z0-9][a-z0-9-]*)/\{arch\}-(?P<name>[a-z0-9][a-z0-9._-]*)")


class ReleaseError(Exception):
    pass


def versions(root: Path = ROOT) -> dict[str, str]:
    """The version each file states."""
    found = {}
    for name, pattern in PLACES.items():
        matches = pattern.findall((root / name).read_text(encoding="utf-8"))
        if len(matches) != 1:
            raise ReleaseError(f"{name}: expected one version line, found {len(matches)}")
        found[name] = matches[0][1]
    return found


def changelog_has(version: str, root: Path = ROOT) -> bool:
    text = (root / CHANGELOG).read_text(encoding="utf-8")
    return re.search(rf"(?m)^## {re.escape(version)}\s*$", text) is not None


def check(root: Path = ROOT, tag: str | None = None) -> str:
    """The one version, after checking that every file and the changelog (and the tag) agree."""
    found = versions(root)
    distinct = set(found.values())
    if len(distinct) != 1:
        listing = ", ".join(f"{name}: {v}" for name, v in found.items())
        raise ReleaseError(
            f"the version differs between files ({listing}); run: scripts/release.py bump X.Y.Z"
        )
    (version,) = distinct
    if not VERSION_RE.fullmatch(version):
        raise ReleaseError(f"version {version!r} is not of the form X.Y.Z (or X.Y.ZaN, bN, rcN)")
    if not changelog_has(version, root):
        raise ReleaseError(f"{CHANGELOG} has no '## {version}' entry")
    if tag is not None and tag != f"v{version}":
        raise ReleaseError(
            f"tag {tag!r} is not the version's: the files say {version}, so the tag is v{version}"
        )
    return version


def bump(new: str, root: Path = ROOT) -> list[str]:
    """Set the version in every file; returns the files changed."""
    if not VERSION_RE.fullmatch(new):
        raise ReleaseError(f"version {new!r} is not of the form X.Y.Z (or X.Y.ZaN, bN, rcN)")
    versions(root)  # every file has exactly one version line
    changed = []
    for name, pattern in PLACES.items():
        path = root / name
        text = path.read_text(encoding="utf-8")
        updated = pattern.sub(lambda m: f"{m[1]}{new}{m[3]}", text, count=1)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            changed.append(name)
    return changed


def addon_image(root: Path = ROOT) -> dict[str, str]:
    """The add-on's image as HA's builder actions take it, and its architectures (JSON)."""
    text = (root / "addon" / "config.yaml").read_text(encoding="utf-8")
    image = re.search(r"(?m)^image:\s*\"?([^\"\s#]+)\"?", text)
    if not image:
        raise ReleaseError("addon/config.yaml has no image: the Supervisor would build it locally")
    m = IMAGE_RE.fullmatch(image[1])
    if not m:
        raise ReleaseError(f"addon/config.yaml: image {image[1]!r} is not ghcr.io/<owner>/{{arch}}-<name>")
    block = re.search(r"(?m)^arch:\n((?:\s+-\s*\S+\n)+)", text)
    if not block:
        raise ReleaseError("addon/config.yaml has no arch list")
    arches = re.findall(r"-\s*(\S+)", block[1])
    fields = {}
    for key in ("name", "description", "url"):
        found = re.search(rf"(?m)^{key}:\s*(.+?)\s*$", text)
        if not found:
            raise ReleaseError(f"addon/config.yaml has no {key}")
        fields[key] = found[1].strip("\"'")
    return {
        "registry_prefix": m["prefix"],
        "image_name": m["name"],
        "architectures": json.dumps(sorted(arches)),
        **fields,
    }


def notes(version: str, root: Path = ROOT) -> str:
    """The changelog entry of a version (the text under its heading), for the GitHub release."""
    text = (root / CHANGELOG).read_text(encoding="utf-8")
    m = re.search(rf"(?ms)^## {re.escape(version)}\s*\n(.*?)(?=^## |\Z)", text)
    if not m or not m[1].strip():
        raise ReleaseError(f"{CHANGELOG} has no '## {version}' entry")
    return m[1].strip() + "\n"


def wheel_problems(path: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with a built wheel: all of edge_agent, the entry point, the version; nothing else.

    The add-on image and a Raspberry Pi install the wheel alone, so every module of edge_agent must
    be in it; the model (downloaded, sha256-checked), the tests and the integration must not.
    """
    version = check(root)
    problems = []
    dist_info = f"bobby_edge-{version}.dist-info/"
    if path.name != f"bobby_edge-{version}-py3-none-any.whl":
        problems.append(f"file name {path.name} is not bobby_edge-{version}-py3-none-any.whl")
    with zipfile.ZipFile(path) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(dist_info + "METADATA").decode() if dist_info + "METADATA" in names else ""
        entry_points = (
            wheel.read(dist_info + "entry_points.txt").decode()
            if dist_info + "entry_points.txt" in names
            else ""
        )
    if "Name: bobby-edge\n" not in metadata or f"Version: {version}\n" not in metadata:
        problems.append(f"{dist_info}METADATA does not name bobby-edge {version}")
    scripts = re.search(r"(?ms)^\[console_scripts\]\n(.*?)(?=^\[|\Z)", entry_points)
    if not scripts or not re.search(r"(?m)^bobby-edge\s*=\s*edge_agent\.cli:main\s*$", scripts[1]):
        problems.append("no console script bobby-edge = edge_agent.cli:main")
    sources = {
        p.relative_to(root).as_posix()
        for p in (root / "edge_agent").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    problems += [f"missing {name}" for name in sorted(sources - names)]
    for name in sorted(names):
        if name.startswith(dist_info):
            continue
        if not name.startswith("edge_agent/"):
            problems.append(f"{name} is not part of edge_agent")
        elif not name.endswith(".py"):
            problems.append(f"{name} is not a Python module (no model, data or cache in the wheel)")
        elif name not in sources:
            problems.append(f"{name} is not in the checkout's edge_agent")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("version", help="check that the files agree and print the version")
    p.add_argument("--tag", help="the release tag, which must be v<version>")
    p = sub.add_parser("bump", help="set a new version in every file")
    p.add_argument("new")
    sub.add_parser("addon", help="print the add-on's image and architectures as GitHub output lines")
    p = sub.add_parser("notes", help="print a version's changelog entry")
    p.add_argument("version")
    p = sub.add_parser("wheel", help="check a built wheel's contents")
    p.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "version":
            print(check(tag=args.tag))
        elif args.command == "bump":
            changed = bump(args.new)
            print(f"version {args.new} in: {', '.join(changed) or 'nothing changed'}")
            if not changelog_has(args.new):
                print(f"now write the '## {args.new}' entry of {CHANGELOG}", file=sys.stderr)
        elif args.command == "addon":
            for key, value in addon_image().items():
                print(f"{key}={value}")
        elif args.command == "notes":
            print(notes(args.version), end="")
        else:
            problems = wheel_problems(args.file)
            for problem in problems:
                print(f"{args.file.name}: {problem}", file=sys.stderr)
            if problems:
                return 1
            print(f"{args.file.name}: edge_agent complete, entry point bobby-edge, nothing else")
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
