# The two commands of the README:
#   make demo SOURCE=<video file, camera index or URL>   runs the local system
#   make test                                            runs every test
SHELL := /bin/bash
SHARED ?= $(abspath ../shared)
export BOBBY_SHARED := $(SHARED)
export BOBBY_MODEL ?= $(SHARED)/models/coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite
export BOBBY_MEDIA ?= $(SHARED)/media
SOURCE ?= $(BOBBY_MEDIA)/opencv_vtest.avi
PYTEST_ARGS ?=

.PHONY: setup test test-edge test-firmware test-ha demo bench firmware-check clean

setup:
	scripts/setup.sh all

.venv/.bobby-stamp: pyproject.toml
	scripts/setup.sh edge

.venv-ha/.bobby-stamp: pyproject.toml requirements-ha.txt
	scripts/setup.sh ha

test: setup
	scripts/test.sh $(PYTEST_ARGS)

demo: .venv/.bobby-stamp
	.venv/bin/bobby-edge demo --source "$(SOURCE)"

bench: .venv/.bobby-stamp
	.venv/bin/bobby-edge bench

firmware-check: .venv/.bobby-stamp
	.venv/bin/python esp_firmware/tools/check_firmware.py

clean:
	rm -rf .venv .venv-ha .pytest_cache artifacts
