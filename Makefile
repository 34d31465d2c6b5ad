# kefu-scorecard — `make run` starts the whole stack, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench soak install clean format browser

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

## The console's browser tests drive Debian's chromium (with CJK fonts); installed here
## when missing (CI runs as root on Debian; elsewhere install them yourself).
browser:
	@{ test -x /usr/bin/chromium && test -d /usr/share/fonts/opentype/noto; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (export DEBIAN_FRONTEND=noninteractive; apt-get install -y chromium fonts-noto-cjk || \
	      { apt-get update && apt-get install -y chromium fonts-noto-cjk; }) >/dev/null; \
	  else echo "install chromium and fonts-noto-cjk (apt-get) for the console's browser tests"; fi; }

## Every test, against real Postgres and Kafka started by fixtures. TEST_WORKERS processes
## (pytest-xdist; each starts its own Postgres and broker): most of the suite waits on
## brokers, services and subprocesses, so two workers overlap the waiting on two cores.
TEST_WORKERS ?= 2
test: $(STAMP) browser
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

## Soak (not part of `make test`): the stack for SOAK_MINUTES (20) at SOAK_RATE events/s
## (2000) with API load; RSS per service, freshness p99 per minute, errors.
soak: $(STAMP)
	$(BIN)/python -m bench.soak

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
