#!/bin/sh
# The local add-on, for development: assemble at DEST an add-on folder that the Supervisor (or
# `docker build`) builds from this checkout instead of pulling the released image:
#   - this folder's files, with config.yaml's `image:` line left out, so that the Supervisor builds
#     the Dockerfile rather than pulling ghcr.io/...:<version>;
#   - wheels/bobby_edge-<version>-py3-none-any.whl, built from the checkout, which the Dockerfile
#     installs instead of the release on PyPI.
# The Supervisor builds an add-on from its own folder only, which is why the wheel is put inside.
#   addon/build-context.sh DEST          (PYTHON=... picks the interpreter that builds the wheel)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
dest=${1:?usage: addon/build-context.sh DEST}
case "$(cd "$(dirname "$dest")" 2>/dev/null && pwd)/$(basename "$dest")" in
  "$here" | "$here"/*) echo "DEST must be outside $here" >&2; exit 2 ;;
esac
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$repo/.venv/bin/python" ]; then PYTHON=$repo/.venv/bin/python; else PYTHON=python3; fi
fi
version=$("$PYTHON" "$repo/scripts/release.py" version) || exit 1

mkdir -p "$dest"
rm -rf "$dest/wheels"
tar -C "$here" --exclude=./build-context.sh --exclude=./wheels -cf - . | tar -C "$dest" -xf -
grep -v '^image:' "$here/config.yaml" > "$dest/config.yaml"

# The wheel is built from a copy of what the package is made of, so that the build leaves
# nothing (build/, egg-info) in the checkout.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in pyproject.toml README.md LICENSE; do
  if [ -f "$repo/$f" ]; then cp "$repo/$f" "$work/"; fi
done
tar -C "$repo" --exclude=__pycache__ --exclude='*.pyc' -cf - edge_agent | tar -C "$work" -xf -
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$dest/wheels" "$work" >&2
wheel=$dest/wheels/bobby_edge-$version-py3-none-any.whl
if [ ! -f "$wheel" ]; then
  echo "the wheel built is not $(basename "$wheel"): $(ls "$dest/wheels")" >&2
  exit 1
fi
echo "add-on build context ready in $dest (bobby-edge $version from this checkout)"
