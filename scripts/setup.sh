#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian/Raspberry Pi OS machine:
# Mosquitto, its clients and libturbojpeg (apt), a Python 3.11+ virtual environment for
# edge_agent (.venv) and a Python 3.13 one with Home Assistant and its test harness (.venv-ha).
# Re-running it is cheap: each step is skipped when its result is already there and up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}   # all | edge | ha | frontend

log() { printf '[setup] %s\n' "$*"; }

ensure_apt() {
  local missing=()
  command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
  if [ "${BOBBY_BROWSER_TESTS:-1}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi
  command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)  # checks the unit `service install` writes
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)  # builds and tests the dashboard card (frontend/)
  command -v mosquitto_sub >/dev/null 2>&1 || missing+=(mosquitto-clients)  # the docs' troubleshooting commands
  # Home Assistant's camera component loads it through PyTurboJPEG (else: "Error loading libturbojpeg").
  compgen -G '/usr/lib/*/libturbojpeg.so.0*' >/dev/null || missing+=(libturbojpeg0)
  command -v apparmor_parser >/dev/null 2>&1 || [ -x /usr/sbin/apparmor_parser ] || [ -x /sbin/apparmor_parser ] \
    || missing+=(apparmor)  # compiles the add-on's AppArmor profile in its test
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}"; exit 1
  fi
  log "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # The Debian package starts a system broker on :1883; our tests start their own, so it is not needed.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
}

find_python() {  # find_python 3.13 -> a path to an interpreter of that version
  local want=$1 c
  for c in "python$want" $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want"*/bin/python"$want" 2>/dev/null) /usr/bin/python"$want" /usr/local/bin/python"$want"; do
    if "$c" -c 'import sys; sys.exit(0)' >/dev/null 2>&1; then command -v "$c" || echo "$c"; return 0; fi
  done
  return 1
}

make_venv() {  # make_venv DIR PYTHON STAMP-INPUTS... -- PIP-ARGS...
  local dir=$1 py=$2; shift 2
  local inputs=() ; while [ "$1" != -- ]; do inputs+=("$1"); shift; done; shift
  local stamp="$dir/.bobby-stamp" sum
  sum=$(cat "${inputs[@]}" | sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 0; fi
  log "creating $dir with $py ($("$py" --version))"
  rm -rf "$dir"
  "$py" -m venv "$dir"
  pip_quiet "$dir" --upgrade pip
  pip_quiet "$dir" "$@"
  # Imported from / so that the checkout's own edge_agent/ cannot stand in for the installed one.
  (py="$PWD/$dir/bin/python"; cd / && "$py" -c "import edge_agent, paho.mqtt, cv2, numpy") \
    || { log "$dir: the install is incomplete"; exit 1; }
  echo "$sum" > "$stamp"
}

pip_quiet() {  # pip_quiet VENV ARGS...: pip's output only when it fails
  local dir=$1; shift
  if ! "$dir/bin/python" -m pip install -q "$@" >"$dir/pip.log" 2>&1; then
    grep -v "^WARNING: Location" "$dir/pip.log" >&2; log "pip install $* failed"; exit 1
  fi
}

ensure_apt

if [ "$what" = all ] || [ "$what" = edge ]; then
  PY311=${PYTHON:-$(find_python 3.11 || find_python 3.12 || find_python 3.13)} || { log "no Python 3.11+ found"; exit 1; }
  make_venv .venv "$PY311" pyproject.toml -- -e ".[dev]"
fi
if [ "$what" = all ] || [ "$what" = frontend ]; then
  # The card's build and test tools, exactly as locked (again when the lockfile changed).
  if [ ! -f frontend/node_modules/.package-lock.json ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then
    log "installing the card's npm packages (npm ci in frontend/, node $(node --version))"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error) || { log "npm ci failed"; exit 1; }
  fi
fi
if [ "$what" = all ] || [ "$what" = ha ]; then
  PY313=${PYTHON_HA:-$(find_python 3.13)} || { log "Home Assistant needs Python 3.13, which is not installed"; exit 1; }
  make_venv .venv-ha "$PY313" pyproject.toml requirements-ha.txt -- -e ".[dev]" -r requirements-ha.txt
fi
