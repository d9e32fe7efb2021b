#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian/Raspberry Pi OS machine, each
# target only what it uses:
#   edge      (make demo, make bench): Mosquitto and libturbojpeg (apt), .venv (Python 3.11+)
#   ha        + Chromium (apt) and .venv-ha (Python 3.13, Home Assistant and its test harness)
#   frontend  + nodejs/npm (apt) and the card's npm packages
#   all       (make test): all of the above, and what only tests use: systemd-analyze (the
#             unit `service install` writes), apparmor_parser (the add-on's profile),
#             mosquitto-clients (the docs' troubleshooting commands), GStreamer's RTSP server
#             with x264 (tests/support/rtsp_server.py: the IP cameras' tests and benchmark)
# Re-running it is cheap: each step is skipped when its result is already there and up to date.
# The venvs are built at once, beside apt and npm, with uv (pip when uv fails or BOBBY_SETUP_UV=0).
# BOBBY_SETUP_DRY_RUN=1 prints the apt packages of the target (and which are missing), then stops.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}   # all | edge | ha | frontend
case $what in all|edge|ha|frontend) ;; *) echo "usage: $0 [all|edge|ha|frontend]" >&2; exit 2;; esac

log() { printf '[setup] %s\n' "$*"; }

has_package() {  # has_package PACKAGE: whether what this target uses from it is installed
  case $1 in
    mosquitto) command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] ;;
    # listen_frame's decoder (PyTurboJPEG); Home Assistant's camera component loads it too
    # (else: "Error loading libturbojpeg").
    libturbojpeg0) compgen -G '/usr/lib/*/libturbojpeg.so.0*' >/dev/null ;;
    chromium) command -v chromium >/dev/null 2>&1 ;;
    systemd) command -v systemd-analyze >/dev/null 2>&1 ;;
    nodejs) command -v node >/dev/null 2>&1 ;;
    npm) command -v npm >/dev/null 2>&1 ;;
    mosquitto-clients) command -v mosquitto_sub >/dev/null 2>&1 ;;
    apparmor) command -v apparmor_parser >/dev/null 2>&1 || [ -x /usr/sbin/apparmor_parser ] || [ -x /sbin/apparmor_parser ] ;;
    python3-gi|gir1.2-gst-rtsp-server-1.0|gstreamer1.0-*)
      dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed' ;;
    *) return 1 ;;
  esac
}

apt_packages() {  # the Debian packages the target $what uses
  local pkgs=(mosquitto libturbojpeg0)
  case $what in all|ha) [ "${BOBBY_BROWSER_TESTS:-1}" = 1 ] && pkgs+=(chromium) ;; esac  # the e2e suite's browser
  case $what in all|frontend) pkgs+=(nodejs npm) ;; esac  # builds and tests the dashboard card (frontend/)
  case $what in all) pkgs+=(systemd mosquitto-clients apparmor) ;; esac  # tests only (see the top)
  # tests/support/rtsp_server.py (IP cameras, issue 22), run by the system's python3: the RTSP
  # server, x264enc (ugly), h264parse (bad), the AVI's MS-MPEG4 decoder (libav)
  case $what in all) pkgs+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
    gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad gstreamer1.0-libav) ;; esac
  echo "${pkgs[@]}"
}

ensure_apt() {
  local missing=() p
  for p in $(apt_packages); do has_package "$p" || missing+=("$p"); done
  if [ "${BOBBY_SETUP_DRY_RUN:-0}" = 1 ]; then
    log "apt packages for $what: $(apt_packages)"
    log "missing: ${missing[*]:-none}"
    exit 0
  fi
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
  install "$dir" "$@"
  # Imported from / so that the checkout's own edge_agent/ cannot stand in for the installed one.
  (py="$PWD/$dir/bin/python"; cd / && "$py" -c "import edge_agent, paho.mqtt, cv2, numpy") \
    || { log "$dir: the install is incomplete"; exit 1; }
  echo "$sum" > "$stamp"
}

install() {  # install VENV ARGS...: pip's arguments, installed with uv (several times faster:
  # parallel downloads and installs; Home Assistant's ~200 packages in about a minute instead of
  # three), else with pip. uv comes from PyPI into the venv itself; BOBBY_SETUP_UV=0 uses pip only.
  local dir=$1; shift
  if [ "${BOBBY_SETUP_UV:-1}" = 1 ] && "$dir/bin/python" -m pip install -q uv >"$dir/pip.log" 2>&1; then
    # --python: never the .venv in the current folder, which uv would otherwise pick.
    if UV_LINK_MODE=copy "$dir/bin/uv" pip install -q --python "$dir/bin/python" "$@" >"$dir/uv.log" 2>&1; then
      return 0
    fi
    log "$dir: uv pip install failed (its output: $dir/uv.log); trying pip"
  fi
  pip_quiet "$dir" --upgrade pip
  pip_quiet "$dir" "$@"
}

pip_quiet() {  # pip_quiet VENV ARGS...: pip's output only when it fails
  local dir=$1; shift
  if ! "$dir/bin/python" -m pip install -q "$@" >"$dir/pip.log" 2>&1; then
    grep -v "^WARNING: Location" "$dir/pip.log" >&2; log "pip install $* failed"; exit 1
  fi
}

# The two virtual environments build at once, beside the apt packages and npm ci (mostly
# downloads; each waits on the network more than on the CPU); the script ends when all have ended
# and fails if any did.
if [ "${BOBBY_SETUP_DRY_RUN:-0}" = 1 ]; then ensure_apt; fi  # prints and exits
builds=()
trap 'kill "${builds[@]}" 2>/dev/null || true' EXIT  # a failed step stops the others
if [ "$what" = all ] || [ "$what" = edge ]; then
  PY311=${PYTHON:-$(find_python 3.11 || find_python 3.12 || find_python 3.13)} || { log "no Python 3.11+ found"; exit 1; }
  make_venv .venv "$PY311" pyproject.toml -- -e ".[dev]" &
  builds+=($!)
fi
if [ "$what" = all ] || [ "$what" = ha ]; then
  PY313=${PYTHON_HA:-$(find_python 3.13)} || { log "Home Assistant needs Python 3.13, which is not installed"; exit 1; }
  make_venv .venv-ha "$PY313" pyproject.toml requirements-ha.txt -- -e ".[dev]" -r requirements-ha.txt &
  builds+=($!)
fi

ensure_apt

if [ "$what" = all ] || [ "$what" = frontend ]; then
  # The card's build and test tools, exactly as locked (again when the lockfile changed).
  if [ ! -f frontend/node_modules/.package-lock.json ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then
    log "installing the card's npm packages (npm ci in frontend/, node $(node --version))"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error) || { log "npm ci failed"; exit 1; }
  fi
fi
failed=0
for pid in "${builds[@]}"; do wait "$pid" || failed=1; done
builds=()
exit $failed
