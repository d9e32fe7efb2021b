#!/usr/bin/env bash
# shellcheck disable=SC2329  # the suite_ functions are called by name: "suite_$s"
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
# The suites run at once, BOBBY_TEST_LANES of them at a time (3 by default; 1: one after another, in
# the order above, printing as they go), the longest first (e2e, edge, reliability, ha, ...), the
# next one starting as soon as one ends. tests/edge and tests/firmware are spread over
# BOBBY_TEST_WORKERS pytest-xdist processes (4 by default; whole files, `--dist loadfile`, so a
# module's fixtures stay in one process; a new test file is spread with the others), tests/e2e
# over BOBBY_E2E_WORKERS (3), each with a Home Assistant stack of its own. The tests
# mostly wait on real processes (the broker, listen_frame, cameras, hass), so more of them than
# cores keeps the two cores busy. Every test has its own broker on its own port and its own
# temporary folders, so the suites share nothing but the CPU, and the tests wait on conditions, not
# on time, so a busy machine slows them without failing them. Each suite's output goes to
# artifacts/suite-<name>.log and is printed whole when the suite ends, with its wall and CPU time.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
mkdir -p artifacts
rm -f artifacts/junit-*.xml artifacts/suite-*.log artifacts/suite-*.status

cpu() {  # cpu: sets CPU to the CPU seconds (user + system) of this shell's ended child processes so far
  # (`times` itself, not in a $(...) subshell, whose own children would be none)
  local f="artifacts/.times-$BASHPID"
  times >"$f"
  CPU=$(awk 'NR == 2 { split($1, u, "m"); split($2, k, "m"); printf "%d", u[1] * 60 + u[2] + k[1] * 60 + k[2] }' "$f")
  rm -f "$f"
}

run() {  # run NAME VENV ARGS...: one pytest suite, its JUnit file for the closing line
  local name=$1 venv=$2; shift 2
  local t0=$SECONDS c0; cpu; c0=$CPU
  echo "=== $name ($("$venv/bin/python" --version)) ==="
  "$venv/bin/python" -m pytest --junitxml="artifacts/junit-$name.xml" --durations=10 "$@"
  local rc=$?
  cpu
  echo "=== $name: exit $rc after $((SECONDS - t0)) s (CPU $((CPU - c0)) s) ==="
  return "$rc"
}

# pytest-xdist: whole files to BOBBY_TEST_WORKERS processes (0: none, in this process).
spread=(-n "${BOBBY_TEST_WORKERS:-4}" --dist loadfile)

suite_lint() {
  local t0=$SECONDS c0 rc; cpu; c0=$CPU
  echo "=== lint (make lint: ruff check, ruff format --check, mypy on edge_agent, scripts/lint.sh) ==="
  make --no-print-directory -k lint
  rc=$?
  cpu
  echo "=== lint: exit $rc after $((SECONDS - t0)) s (CPU $((CPU - c0)) s) ==="
  return "$rc"
}

suite_edge() { run edge .venv tests/edge "${spread[@]}" "$@"; }

suite_firmware() { run firmware .venv tests/firmware "${spread[@]}" "$@"; }

# -s: the suite prints its figures (docs/reliability.md) as it goes; they are in its JUnit file too.
suite_reliability() { run reliability .venv tests/reliability -s "$@"; }

suite_ha() {
  run ha .venv-ha tests/ha -p no:cacheprovider \
    --cov=custom_components.bobby_camera --cov-report=term-missing:skip-covered --cov-fail-under=95 "$@"
}

suite_hassfest() {  # HA's hassfest and HACS's checks on the integration, as CI's validate.yaml
  local t0=$SECONDS c0 rc; cpu; c0=$CPU
  echo "=== hassfest ==="
  scripts/hassfest.sh
  rc=$?
  cpu
  echo "=== hassfest: exit $rc after $((SECONDS - t0)) s (CPU $((CPU - c0)) s) ==="
  return "$rc"
}

suite_frontend() {
  local t0=$SECONDS c0 rc; cpu; c0=$CPU
  echo "=== frontend (node $(node --version 2>/dev/null || echo missing)) ==="
  if [ -f frontend/node_modules/.package-lock.json ]; then
    (cd frontend && npx --no-install tsc --noEmit && node build.mjs --tests \
      && node --test --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=junit --test-reporter-destination=../artifacts/junit-frontend.xml .test-build/)
    rc=$?
  else
    echo "frontend: its npm packages are missing (run: scripts/setup.sh frontend)"; rc=1
  fi
  cpu
  echo "=== frontend: exit $rc after $((SECONDS - t0)) s (CPU $((CPU - c0)) s) ==="
  return "$rc"
}

# Three processes, each with a Home Assistant stack of its own; a module stays in one process, the
# ordered modules together (tests/e2e/conftest.py).
suite_e2e() {
  run e2e .venv-ha tests/e2e -p no:cacheprovider -p no:homeassistant \
    -n "${BOBBY_E2E_WORKERS:-3}" --dist loadgroup "$@"
}

status=0
failed=()  # the suites that did not pass, named at the end (lint has no JUnit file to count)
start=$SECONDS
lanes=${BOBBY_TEST_LANES:-3}
if [ "$lanes" = 1 ]; then
  for s in lint edge firmware reliability ha hassfest frontend e2e; do
    "suite_$s" "$@" || { status=1; failed+=("$s"); }
  done
else
  # The longest first, so that the short ones fill the gaps at the end.
  pending=(e2e edge reliability ha firmware lint hassfest frontend)
  running=()
  echo "=== running ${pending[*]}, $lanes at a time; each suite's log (artifacts/suite-<name>.log)" \
    "is printed when it ends ==="
  while [ ${#pending[@]} -gt 0 ] || [ ${#running[@]} -gt 0 ]; do
    still=()
    for s in "${running[@]}"; do
      if [ -f "artifacts/suite-$s.status" ]; then
        cat "artifacts/suite-$s.log"
        rc=$(cat "artifacts/suite-$s.status")
        echo "=== $s ended (exit $rc) $((SECONDS - start)) s after the start ==="
        [ "$rc" = 0 ] || { status=1; failed+=("$s"); }
      else
        still+=("$s")
      fi
    done
    running=("${still[@]}")
    while [ ${#pending[@]} -gt 0 ] && [ ${#running[@]} -lt "$lanes" ]; do
      s=${pending[0]}
      pending=("${pending[@]:1}")
      ( "suite_$s" "$@" >"artifacts/suite-$s.log" 2>&1; echo $? >"artifacts/suite-$s.status" ) &
      running+=("$s")
    done
    sleep 1
  done
  wait
fi
cpu
echo "=== every suite after $((SECONDS - start)) s (CPU $CPU s in all) ==="
.venv/bin/python scripts/junit_summary.py artifacts/junit-*.xml || status=1
[ ${#failed[@]} -eq 0 ] || echo "suites that failed: ${failed[*]} (their logs: artifacts/suite-<name>.log)"
exit $status
