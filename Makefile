# The two commands of the README:
#   make demo SOURCE=<video file, camera index or URL>   runs the local system
#   make test                                            runs every test
SHELL := /bin/bash
SHARED ?= $(abspath ../shared)
export BOBBY_SHARED := $(SHARED)
SHARED_MODEL := $(SHARED)/models/coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite
# The project's model and media live beside the checkout (never in it); elsewhere the model is
# downloaded (and its sha256 checked) by `bobby-edge model download`.
ifneq ($(wildcard $(SHARED_MODEL)),)
export BOBBY_MODEL ?= $(SHARED_MODEL)
endif
export BOBBY_MEDIA ?= $(SHARED)/media
SOURCE ?= $(BOBBY_MEDIA)/opencv_vtest.avi
PYTEST_ARGS ?=

.PHONY: setup test lint lint-ruff lint-format lint-mypy lint-tools model demo bench firmware-check frontend clean

setup:
	scripts/setup.sh all

.venv/.bobby-stamp: pyproject.toml
	scripts/setup.sh edge

.venv-ha/.bobby-stamp: pyproject.toml requirements-ha.txt
	scripts/setup.sh ha

test: setup
	scripts/test.sh $(PYTEST_ARGS)

# Every linter, run by scripts/test.sh (`make -k lint` there, so each step reports) and, step by
# step, by the hooks of .pre-commit-config.yaml: ruff, ruff's formatter, mypy --strict on edge_agent
# for Pi OS's Python 3.11 (settings in pyproject.toml), and scripts/lint.sh (actionlint, hadolint,
# shellcheck).
lint: lint-ruff lint-format lint-mypy lint-tools

lint-ruff:
	.venv/bin/ruff check .

lint-format:
	@.venv/bin/ruff format --check . || { echo "lint: run .venv/bin/ruff format ."; exit 1; }

lint-mypy:
	.venv/bin/mypy --python-version 3.11 edge_agent

lint-tools:
	scripts/lint.sh

model: .venv/.bobby-stamp
	@.venv/bin/bobby-edge --log-level WARNING model path >/dev/null 2>&1 || .venv/bin/bobby-edge model download

demo: model
	.venv/bin/bobby-edge demo --source "$(SOURCE)"

bench: model
	.venv/bin/bobby-edge bench

# The dashboard card: type-check frontend/ and rebuild the committed bundle
# (custom_components/bobby_camera/frontend/bobby-camera-card.js; `make test` checks it is current).
frontend/node_modules/.package-lock.json: frontend/package-lock.json
	scripts/setup.sh frontend

frontend: frontend/node_modules/.package-lock.json
	cd frontend && npx --no-install tsc --noEmit && node build.mjs

firmware-check: .venv/.bobby-stamp
	.venv/bin/python esp_firmware/tools/check_firmware.py

clean:
	rm -rf .venv .venv-ha .pytest_cache artifacts
