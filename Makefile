# Two commands on a fresh machine: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-exchange test-genesys-sdk seed clean

# The venv is rebuilt when pyproject.toml changes; pip then installs only what is missing.
# pip's own output (and setuptools' editable-install notice) goes to a log, shown only when
# the set-up fails, so the first `make run` opens on the app rather than a warning box.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "contact-tui needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Setting up $(VENV) (pip's log: $(VENV)/install.log)..."
	@{ $(BIN)/python -m pip install --disable-pip-version-check --upgrade pip \
	  && $(BIN)/python -m pip install --disable-pip-version-check -e '.[test]'; } \
	  > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; echo "Set-up failed; the log above is in $(VENV)/install.log."; exit 1; }
	@touch $(STAMP)

## Set up and start the app on the bundled demo data (data/store.json, made from data/seed.json).
run: $(STAMP)
	@$(BIN)/contact-tui

## Set up and run every check CI runs: lint, types, the layer rule, and the tests.
## The tests run in parallel (pytest-xdist); plain `pytest` still runs them in one process.
## -n auto starts one worker more than there are cores (tests/conftest.py): workers wait about a
## third of the time (on 2 cores, 127 s with 3 workers where 2 took 141 s). --dist=worksteal
## hands out tests in big runs and rebalances at the end (every test works in its own tmp_path
## and each worker has its own PostgreSQL server, so none needs to share a worker);
## --dist=loadgroup sent them one at a time, at a cost that grows with the square of their number.
## PYTHONDONTWRITEBYTECODE is cleared so the workers and the commands the tests run reuse compiled
## bytecode: with it set, each process compiles the app and the tests again (~3 s CPU per worker).
## mypy and lint-imports run beside the tests, niced, their output kept until the tests end: from a
## fresh clone (no mypy cache, as in CI) mypy alone took ~11 s of one core before the tests could
## start, while the test workers leave the cores idle part of the time (waiting for the app,
## PostgreSQL, child processes); at the lower priority mypy takes that idle time rather than the
## workers'. Either failing fails the target.
test: $(STAMP)
	$(BIN)/ruff check contact_tui tests scripts
	$(BIN)/ruff format --check contact_tui tests scripts
	@checks=$$(mktemp); trap 'rm -f "$$checks"' EXIT; \
	{ nice -n 10 $(BIN)/mypy && nice -n 10 $(BIN)/lint-imports --no-cache; } >"$$checks" 2>&1 & \
	echo "PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n auto --dist=worksteal"; \
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n auto --dist=worksteal; tests=$$?; \
	wait $$!; typed=$$?; \
	echo "$(BIN)/mypy && $(BIN)/lint-imports --no-cache (run beside the tests)"; cat "$$checks"; \
	exit $$((tests || typed))

## Benchmarks (not part of the tests): stores of 1,000 / 10,000 / 100,000 contacts.
bench: $(STAMP)
	$(BIN)/python tests/perf/bench_store.py

## Import and export of 10,000 and 100,000 contacts in each format (several minutes).
bench-exchange: $(STAMP)
	$(BIN)/python tests/perf/bench_exchange.py

## Opt-in: feed our Genesys export to Genesys Cloud's own Python SDK (not a dependency; big).
test-genesys-sdk: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'PureCloudPlatformClientV2==269.0.0'
	CONTACT_TUI_GENESYS_SDK=1 $(BIN)/pytest -q tests/optional

seed: $(STAMP)
	$(BIN)/python scripts/make_seed.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
