# `make demo` and `make test` on a fresh machine with Python 3.11 and make. Everything lives in
# .venv/ and the project-local Dagster home .dagster_home/ (both git-ignored).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# dbt, the benchmark's peer, in a virtualenv of its own so its pins never move the product's
DBT_VENV := .venv-dbt
DBT_INSTALLED := $(DBT_VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/.dagster_home
# One planned event per asset for a run over many partitions (see nexus_pipelines/__init__.py);
# exported so that `dagster dev`'s webserver and daemon, which never import the package, do it too.
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS := true

.PHONY: setup demo test ui bench lint format clean

setup: $(INSTALLED) $(DAGSTER_HOME)/dagster.yaml

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster-instance.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster-instance.yaml $@

demo: setup
	$(BIN)/nexus demo

# Two workers: the end-to-end tests are Dagster runs that keep one core busy each.
test: setup lint
	$(BIN)/nexus contract-docs --check
	$(BIN)/pytest -n 2 --dist worksteal

ui: setup
	$(BIN)/dagster dev -w workspace.yaml --host 127.0.0.1 --port 3000

$(DBT_INSTALLED): bench-requirements.txt
	$(PYTHON) -m venv $(DBT_VENV)
	$(DBT_VENV)/bin/pip install --quiet --disable-pip-version-check -r bench-requirements.txt
	touch $@

bench: setup $(DBT_INSTALLED)
	$(BIN)/python -m nexus_pipelines.bench

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) $(DBT_VENV) data .dagster_home .pytest_cache .ruff_cache
