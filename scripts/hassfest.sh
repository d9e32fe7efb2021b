#!/usr/bin/env bash
# Home Assistant's own validator (hassfest) and HACS's repository checks on
# custom_components/bobby_camera, offline: the checks .github/workflows/validate.yaml runs on GitHub
# (home-assistant/actions/hassfest, hacs/action), here with the project's .venv-ha (Home Assistant
# 2025.4.4). The tools come from the shared folder ($BOBBY_SHARED, default ../shared):
# tools/hassfest/ is hassfest reassembled to run without HA's core repository, and
# hacs_offline_check.py is HACS's hacs.json and manifest schemas (see its README.md).
# Exits non-zero when any rule is broken. Usage: scripts/hassfest.sh
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
shared=${BOBBY_SHARED:-$root/../shared}
tool=$shared/tools/hassfest
if [ ! -d "$tool/script/hassfest" ] || [ ! -f "$tool/hacs_offline_check.py" ]; then
  echo "hassfest: the offline hassfest is not in $tool (tools/hassfest of the shared folder;" \
    "set BOBBY_SHARED to that folder)" >&2
  exit 2
fi
py=$root/.venv-ha/bin/python
if [ ! -x "$py" ]; then
  echo "hassfest: .venv-ha is missing (run: scripts/setup.sh ha)" >&2
  exit 2
fi
ha=$("$py" -c 'import homeassistant, os; print(os.path.dirname(homeassistant.__file__))') || exit 2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$tool/script" "$work/"
chmod -R u+w "$work"  # the shared copy is read-only; hassfest writes nothing, Python may cache
ln -s "$ha" "$work/homeassistant"
mkdir "$work/cc"
cp -r custom_components/bobby_camera "$work/cc/"
find "$work/cc" -name __pycache__ -prune -exec rm -rf {} +

status=0
echo "--- hassfest ($("$py" -c 'from homeassistant.const import __version__; print(__version__)'))"
# hassfest runs ruff on what it would generate: the venv's bin first on PATH, as the README says.
if ! (cd "$work" && PATH="$root/.venv-ha/bin:$PATH" "$py" -m script.hassfest --action validate \
  --integration-path "$work/cc/bobby_camera"); then
  echo "hassfest: FAILED (the [ERROR] lines above name the rule and the file)"
  status=1
fi

echo "--- HACS checks"
# Run from the work folder: its homeassistant/ link lets the check see whether the domain is a
# core integration's.
hacs=$(cd "$work" && "$py" "$tool/hacs_offline_check.py" "$root" 2>&1) || status=1
echo "$hacs"
# Lines the check prints without failing on them; HACS's action fails on each.
expect() {  # expect REGEX: one line of the check's output must match it whole
  if ! grep -qxE -- "$1" <<<"$hacs"; then
    echo "HACS: expected \"$1\""
    status=1
  fi
}
expect "zip_release without filename: False"
expect "custom_components dirs: \\['bobby_camera'\\]"
expect "domain == dir name: True"
expect "brand/icon.png present: True"
expect "README present: True"
expect "domain is a core integration.*: False"
if [ -f LICENSE ]; then
  echo "LICENSE present: True"
else
  echo "HACS: no LICENSE file at the repository root"
  status=1
fi

if [ "$status" -eq 0 ]; then
  echo "hassfest and HACS checks: passed"
else
  echo "hassfest and HACS checks: FAILED"
fi
exit $status
