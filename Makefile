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

.PHONY: setup demo test test-browser ui bench lint format clean

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

# The browser check (tests_browser/, outside `make test`): a small demo in a temporary folder,
# its UI in Debian's chromium driven by Playwright, screenshots to docs/images/. Playwright's
# own browser download is not used: chromium comes from apt (installed here when missing and
# apt-get can run as root), else the command says what to run. Pytest's exit code 5 (nothing
# collected) fails like any other.
BROWSER_INSTALLED := $(VENV)/.browser-installed
CHROMIUM := /usr/bin/chromium

$(BROWSER_INSTALLED): $(INSTALLED)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev,browser]"
	touch $@

test-browser: setup $(BROWSER_INSTALLED)
	@if [ ! -x $(CHROMIUM) ]; then \
		if ! command -v apt-get >/dev/null; then \
			echo "test-browser needs Debian's chromium at $(CHROMIUM); this system has no apt-get." >&2; exit 1; \
		elif [ "$$(id -u)" = 0 ]; then SUDO=; \
		elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
		else echo "test-browser needs Debian's chromium: run  sudo apt-get install -y chromium" >&2; exit 1; fi; \
		$$SUDO apt-get install -y chromium || { $$SUDO apt-get update && $$SUDO apt-get install -y chromium; } || exit 1; \
	fi
	$(BIN)/pytest -p no:xdist tests_browser

ui: setup
	$(BIN)/nexus ui --host 127.0.0.1 --port 3000

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
