# Trợ lý Thủ tục: `make run` and `make test` are the two commands a newcomer needs.
# Every target below does only the set-up that is missing (stamp files under the venvs and var/).

SHELL := /bin/bash
# Nothing here may reach a model hub or a telemetry service.
export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
# Ports, URLs and secrets are set in one place, scripts/defaults.sh (`make config` shows them).
.DEFAULT_GOAL := help

# Rasa 3.6 runs only on Python <= 3.10; everything with torch runs on 3.11.
PYTHON310 ?= $(shell scripts/find-python 3.10)
PYTHON311 ?= $(shell scripts/find-python 3.11)

RASA_VENV := .venv-rasa
APP_VENV  := .venv
KNOWLEDGE_INDEX ?= var/index
EMBEDDING_DIR   := var/models/multilingual-e5-small
# Written by `python -m knowledge.embedding` once the model is materialised (knowledge/embedding/install.py).
EMBEDDING_MARKER := $(EMBEDDING_DIR)/materialized.json
RASA_MODEL      := models/assistant.tar.gz

RASA_INPUTS := config.yml $(shell find data bot/domain -name '*.yml' 2>/dev/null)

.PHONY: help setup run config lint test test-unit test-integration validate train index bench clean cluster-up cluster-down cluster-packages

help:
	@echo "make run    set up what is missing, then start the whole assistant"
	@echo "make test   set up what is missing, then lint and run every test"
	@echo "make lint   ruff, mypy and eslint"
	@echo "make bench  print the benchmarks (needs ../shared/data)"
	@echo "make cluster-up / cluster-down  the production profile on this machine (CLUSTER_PORT, default 8080)"

$(RASA_VENV)/.installed: requirements/rasa.lock requirements/rasa-nodeps.txt pyproject.toml
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (pyenv install 3.10)"; exit 1; }
	$(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --upgrade "pip==24.2"
	$(RASA_VENV)/bin/pip install -q -r requirements/rasa.lock
	$(RASA_VENV)/bin/pip install -q --no-deps -r requirements/rasa-nodeps.txt
	$(RASA_VENV)/bin/pip install -q --no-deps -e .
	touch $@

# torch first, on its own, so no resolver ever picks a CUDA build.
$(APP_VENV)/.installed: requirements/app.lock pyproject.toml
	@test -n "$(PYTHON311)" || { echo "Python 3.11 not found"; exit 1; }
	$(PYTHON311) -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install -q "torch==2.13.0"
	$(APP_VENV)/bin/pip install -q -r requirements/app.lock
	$(APP_VENV)/bin/pip install -q --no-deps -e .
	touch $@

$(EMBEDDING_MARKER): $(APP_VENV)/.installed knowledge/embedding/install.py knowledge/embedding/onnx.py
	$(APP_VENV)/bin/python -m knowledge.embedding --out $(EMBEDDING_DIR)
	touch $@  # skipped when already materialised: still newer than the venv now

# Always asked: `knowledge build` is a no-op when nothing changed, and it keeps the catalog the index
# was built from (or KNOWLEDGE_SOURCE), so `make run` never swaps an imported catalog for the curated one.
index: $(EMBEDDING_MARKER)
	$(APP_VENV)/bin/knowledge build --index $(KNOWLEDGE_INDEX)

$(RASA_MODEL): $(RASA_VENV)/.installed $(RASA_INPUTS) $(shell find bot -name '*.py')
	$(RASA_VENV)/bin/rasa train --domain bot/domain --data data \
		--config config.yml --out models --fixed-model-name assistant

# The widget's pinned socket.io client is committed; npm brings axe-core for the browser tests.
web/node_modules/.installed: web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund
	touch $@

setup: $(RASA_VENV)/.installed $(APP_VENV)/.installed $(EMBEDDING_MARKER) index $(RASA_MODEL)

train: $(RASA_MODEL)

# RUN_ALL: what `make run` starts after set-up (tests set it to `true` to check the set-up alone).
RUN_ALL ?= scripts/run-all
run: setup
	$(RUN_ALL)

# The production profile on loopback (cluster/): PostgreSQL, Redis, 2 Rasa, 2 action servers, the web
# app and HAProxy under supervisord. Debian packages it needs are installed when missing (as root).
CLUSTER_BINARIES := redis-server:redis-server haproxy:haproxy
cluster-packages:
	@missing=""; for pair in $(CLUSTER_BINARIES); do command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages:$$missing (sudo apt-get install$$missing)"; exit 1; fi; fi

cluster-up: setup cluster-packages
	$(APP_VENV)/bin/python -m cluster up

cluster-down:
	$(APP_VENV)/bin/python -m cluster down

config:
	@bash -c 'source scripts/defaults.sh && for v in RASA_HOST RASA_PORT ACTIONS_PORT WEB_PORT RASA_URL \
	  ACTION_ENDPOINT_URL WEB_PUBLIC_URL RASA_CORS_ORIGINS KNOWLEDGE_INDEX DATABASE_URL TRACKER_DB; do \
	  echo "$$v=$${!v}"; done'

validate: $(RASA_VENV)/.installed
	$(RASA_VENV)/bin/rasa data validate --domain bot/domain --data data \
		--config config.yml --fail-on-warnings

test-unit: $(APP_VENV)/.installed $(EMBEDDING_MARKER) web/node_modules/.installed
	$(APP_VENV)/bin/python -m pytest -m "not integration"

test-integration: setup web/node_modules/.installed
	$(APP_VENV)/bin/python -m pytest -m integration

# ruff (lint and format), mypy (strict on the packages listed in pyproject.toml), eslint on the widget.
lint: $(APP_VENV)/.installed $(RASA_VENV)/.installed web/node_modules/.installed
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/ruff format --check .
	$(APP_VENV)/bin/mypy
	$(RASA_VENV)/bin/mypy --python-version 3.10 --follow-imports=silent bot
	cd web && npx --no-install eslint .

test: lint setup web/node_modules/.installed
	$(APP_VENV)/bin/python -m pytest --durations=15  # the slowest tests, to keep the run short

bench: setup
	$(APP_VENV)/bin/python bench/run_all.py

clean:
	rm -rf var models .rasa
