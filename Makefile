# WorkLB — the commands a developer needs. Every target installs what it needs first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-unit test-domain test-integration test-e2e bench demo migrate lint format clean

$(STAMP): pyproject.toml
	bash deploy/system_packages.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24" "setuptools>=68,<82" wheel
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make run: start the whole platform on this machine and print where to open it
run: $(STAMP)
	$(PY) -m deploy.local

## make test: unit, domain (real PostgreSQL), integration (+ RabbitMQ) and end-to-end tests
test: $(STAMP)
	$(PY) -m pytest -p no:cacheprovider --durations=25

test-unit: $(STAMP)
	$(PY) -m pytest -m unit

test-domain: $(STAMP)
	$(PY) -m pytest -m domain

test-integration: $(STAMP)
	$(PY) -m pytest -m integration

test-e2e: $(STAMP)
	$(PY) -m pytest -m e2e

## make bench: performance benchmarks (tests/perf), printed as tables
bench: $(STAMP)
	$(PY) -m tests.perf

## make demo: load a demo city through the public API of a running platform
demo: $(STAMP)
	$(PY) -m deploy.demo

migrate: $(STAMP)
	$(PY) -m deploy.migrate

## make lint: ruff (style, imports, format) and mypy (types) on the platform's code
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
