# kefu-scorecard — `make run` starts the whole stack, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean format

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Start the embedded (or configured) Postgres and Kafka, migrate, run every service and
## the demo traffic (DEMO=0 to skip). Ctrl-C stops everything.
run: $(STAMP)
	@$(BIN)/python -m shared.launcher

## Every test, against real Postgres and Kafka started by fixtures. TEST_WORKERS processes
## (pytest-xdist; each starts its own Postgres and broker): most of the suite waits on
## brokers, services and subprocesses, so two workers overlap the waiting on two cores.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check domain shared services bench tests migrations
	$(BIN)/mypy domain shared services bench

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Benchmarks: prints one table.
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
