#!/bin/sh
# Assemble a self-contained add-on folder at DEST: this folder's files plus bobby-edge/, the
# edge_agent package's source that the Dockerfile installs. The Supervisor builds an add-on
# from its own folder only, so the package has to be copied in (see README.md).
#   addon/build-context.sh DEST
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
dest=${1:?usage: addon/build-context.sh DEST}
case "$(cd "$(dirname "$dest")" 2>/dev/null && pwd)/$(basename "$dest")" in
  "$here" | "$here"/*) echo "DEST must be outside $here" >&2; exit 2 ;;
esac
mkdir -p "$dest"
rm -rf "$dest/bobby-edge"
tar -C "$here" --exclude=./build-context.sh -cf - . | tar -C "$dest" -xf -
mkdir -p "$dest/bobby-edge"
tar -C "$repo" --exclude=__pycache__ --exclude='*.pyc' -cf - pyproject.toml edge_agent \
  | tar -C "$dest/bobby-edge" -xf -
# pyproject.toml names README.md as the package's readme; setuptools needs the file.
if [ -f "$repo/README.md" ]; then
  cp "$repo/README.md" "$dest/bobby-edge/README.md"
else
  echo "bobby-edge: the Bobby Camera edge agent, as the Home Assistant add-on installs it." > "$dest/bobby-edge/README.md"
fi
echo "add-on build context ready in $dest"
