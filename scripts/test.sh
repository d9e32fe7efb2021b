#!/usr/bin/env bash
# Every test suite, each in the interpreter it targets, then one closing line for all of them:
#   tests/edge and tests/firmware: edge_agent and the ESP32 firmware logic on Python 3.11 (.venv)
#   tests/reliability: fuzzing, floods, a killed worker, broker restarts against the real listen_frame
#     (.venv; figures in docs/reliability.md)
#   tests/ha: the Home Assistant integration and discovery schemas in HA's test harness on 3.13 (.venv-ha)
#   tests/e2e: a real `hass` with its frontend, Mosquitto, listen_frame, a dumb camera and headless
#     Chromium (.venv-ha; HA's pytest plugin off: nothing of its harness is used, hass is a process)
#   frontend: the dashboard card's type check, unit tests and bundle check (node --test)
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p artifacts
rm -f artifacts/junit-*.xml
status=0
echo "=== lint (make lint: ruff check, ruff format --check, mypy on edge_agent, scripts/lint.sh) ==="
make --no-print-directory -k lint || status=1
run() {  # run NAME VENV ARGS...
  local name=$1 venv=$2; shift 2
  echo "=== $name ($("$venv/bin/python" --version)) ==="
  "$venv/bin/python" -m pytest --junitxml="artifacts/junit-$name.xml" "$@" || status=1
}
run edge .venv tests/edge "$@"
run firmware .venv tests/firmware "$@"
run reliability .venv tests/reliability -s "$@"
run ha .venv-ha tests/ha -p no:cacheprovider \
  --cov=custom_components.bobby_camera --cov-report=term-missing:skip-covered --cov-fail-under=95 "$@"
echo "=== hassfest ==="  # HA's hassfest and HACS's checks on the integration, as CI's validate.yaml
scripts/hassfest.sh || status=1
echo "=== frontend (node $(node --version 2>/dev/null || echo missing)) ==="
if [ -f frontend/node_modules/.package-lock.json ]; then
  (cd frontend && npx --no-install tsc --noEmit && node build.mjs --tests \
    && node --test --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=junit --test-reporter-destination=../artifacts/junit-frontend.xml .test-build/) || status=1
else
  echo "frontend: its npm packages are missing (run: scripts/setup.sh frontend)"; status=1
fi
run e2e .venv-ha tests/e2e -p no:cacheprovider -p no:homeassistant "$@"
.venv/bin/python scripts/junit_summary.py artifacts/junit-*.xml || status=1
exit $status
