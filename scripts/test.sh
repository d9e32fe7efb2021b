#!/usr/bin/env bash
# Every test suite, each in the interpreter it targets, then one closing line for all of them:
#   lint: make lint (ruff check, ruff format --check, mypy on edge_agent, scripts/lint.sh)
#   tests/edge and tests/firmware: edge_agent and the ESP32 firmware logic on Python 3.11 (.venv)
#   tests/reliability: fuzzing, floods, a killed worker, broker restarts against the real listen_frame
#     (.venv; figures in docs/reliability.md)
#   tests/ha: the Home Assistant integration and discovery schemas in HA's test harness on 3.13 (.venv-ha)
#   hassfest: HA's own integration validator and HACS's checks (scripts/hassfest.sh)
#   frontend: the dashboard card's type check, unit tests and bundle check (node --test)
#   tests/e2e: a real `hass` with its frontend, Mosquitto, listen_frame, a dumb camera and headless
#     Chromium (.venv-ha; HA's pytest plugin off: nothing of its harness is used, hass is a process)
#
# The suites run in two lanes at once, each lane's suites one after another: the edge lane (lint,
# edge, firmware, reliability) and the Home Assistant lane (ha, hassfest, frontend, e2e). Every test
# has its own broker on its own port and its own temporary folders, so the lanes share nothing but
# the CPU, and the tests wait on conditions, not on time, so a busy machine slows them without
# failing them. Each lane's output goes to artifacts/lane-<name>.log and is printed whole when the
# lane ends. BOBBY_TEST_LANES=1 runs everything in one lane, in order, printing as it goes.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
mkdir -p artifacts
rm -f artifacts/junit-*.xml artifacts/lane-*.log artifacts/lane-*.status

run() {  # run NAME VENV ARGS...: one pytest suite, its JUnit file for the closing line
  local name=$1 venv=$2; shift 2
  local t0=$SECONDS
  echo "=== $name ($("$venv/bin/python" --version)) ==="
  "$venv/bin/python" -m pytest --junitxml="artifacts/junit-$name.xml" "$@"
  local rc=$?
  echo "=== $name: exit $rc after $((SECONDS - t0)) s ==="
  return $rc
}

edge_lane() {
  local status=0 t0=$SECONDS
  echo "=== lint (make lint: ruff check, ruff format --check, mypy on edge_agent, scripts/lint.sh) ==="
  make --no-print-directory -k lint || status=1
  echo "=== lint: after $((SECONDS - t0)) s ==="
  run edge .venv tests/edge "$@" || status=1
  run firmware .venv tests/firmware "$@" || status=1
  run reliability .venv tests/reliability -s "$@" || status=1
  return $status
}

ha_lane() {
  local status=0
  run ha .venv-ha tests/ha -p no:cacheprovider \
    --cov=custom_components.bobby_camera --cov-report=term-missing:skip-covered --cov-fail-under=95 "$@" \
    || status=1
  echo "=== hassfest ==="  # HA's hassfest and HACS's checks on the integration, as CI's validate.yaml
  scripts/hassfest.sh || status=1
  echo "=== frontend (node $(node --version 2>/dev/null || echo missing)) ==="
  if [ -f frontend/node_modules/.package-lock.json ]; then
    (cd frontend && npx --no-install tsc --noEmit && node build.mjs --tests \
      && node --test --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=junit --test-reporter-destination=../artifacts/junit-frontend.xml .test-build/) \
      || status=1
  else
    echo "frontend: its npm packages are missing (run: scripts/setup.sh frontend)"; status=1
  fi
  run e2e .venv-ha tests/e2e -p no:cacheprovider -p no:homeassistant "$@" || status=1
  return $status
}

status=0
start=$SECONDS
if [ "${BOBBY_TEST_LANES:-2}" = 1 ]; then
  edge_lane "$@" || status=1
  ha_lane "$@" || status=1
else
  for lane in edge ha; do
    ( "${lane}_lane" "$@" >"artifacts/lane-$lane.log" 2>&1; echo $? >"artifacts/lane-$lane.status" ) &
  done
  echo "=== running the edge lane (lint, edge, firmware, reliability) and the Home Assistant lane" \
    "(ha, hassfest, frontend, e2e) at once; logs: artifacts/lane-edge.log, artifacts/lane-ha.log ==="
  printed=""
  while :; do
    for lane in edge ha; do
      case " $printed " in *" $lane "*) continue ;; esac
      if [ -f "artifacts/lane-$lane.status" ]; then
        cat "artifacts/lane-$lane.log"
        rc=$(cat "artifacts/lane-$lane.status")
        echo "=== $lane lane: exit $rc after $((SECONDS - start)) s ==="
        [ "$rc" = 0 ] || status=1
        printed="$printed $lane"
      fi
    done
    [ "$printed" = " edge ha" ] || [ "$printed" = " ha edge" ] && break
    sleep 2
  done
  wait
fi
echo "=== every suite after $((SECONDS - start)) s ==="
.venv/bin/python scripts/junit_summary.py artifacts/junit-*.xml || status=1
exit $status
