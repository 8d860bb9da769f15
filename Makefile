# Every target bootstraps its own virtualenv: on a fresh machine `make demo` and
# `make test` are the whole set-up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1

.PHONY: help install demo test typecheck matrix drift-record fuzz lint check bench bench-throttle bench-streaming clean

help:
	@echo "make install  create $(VENV) and install async_drf with its test and dev extras"
	@echo "make demo     install, prepare the demo databases and serve it on http://$(HOST):$(PORT)/"
	@echo "              (DEBUG off; make demo DEBUG=1 turns it on)"
	@echo "make test     install and run the test suite (SQLite; PostgreSQL/Redis when reachable)"
	@echo "make matrix   the suite (SQLite) on the lowest and highest supported Django, DRF and"
	@echo "              Tortoise ORM, one virtualenv each under .venv-matrix/ (MATRIX=lowest)"
	@echo "make drift-record  record the upstream sources the mirrors follow (tests/test_drift.py)"
	@echo "make fuzz     schemathesis against the demo's schema, longer than in make test"
	@echo "              (FUZZ_EXAMPLES=300 FUZZ_SEED=1)"
	@echo "make lint     ruff check, ruff format --check and mypy --strict (make typecheck)"
	@echo "make bench    load benchmark against the peers (see bench/README.md; BENCH_ARGS=--quick)"
	@echo "make bench-throttle  µs per throttle check, memory store and Redis (THROTTLE_ARGS=...)"
	@echo "make bench-streaming  a streamed list of 1,000 and 100,000 rows: first byte, rows/s, memory"
	@echo "make clean    remove the virtualenv and generated files"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	touch $@

install: $(VENV)/.installed

# DEBUG is off unless asked for: `make demo DEBUG=1` (only on the command line, so a
# DEBUG variable in the shell's environment does not turn it on) or DEMO_DEBUG=1.
DEMO_ENV := $(if $(filter command line,$(origin DEBUG)),DEMO_DEBUG=$(DEBUG))

# Django's migrations, then Tortoise's (--fake-initial adopts the tables of a demo/var/
# made before the demo shipped migrations), then the sample data.
# One worker: uvicorn.  Several: gunicorn's process manager running uvicorn in each
# (uvicorn_worker.UvicornWorker), because uvicorn's own --workers N binds its socket
# without TCP_NODELAY and then every keep-alive response waits ~40 ms for the client's
# delayed ACK (see README, "Servers"); gunicorn sets TCP_NODELAY on its socket.
ifeq ($(WORKERS),1)
DEMO_SERVER = ../$(BIN)/uvicorn demo.asgi:application --host $(HOST) --port $(PORT) --lifespan on
else
DEMO_SERVER = ../$(BIN)/gunicorn demo.asgi:application --bind $(HOST):$(PORT) \
	--worker-class uvicorn_worker.UvicornWorker --workers $(WORKERS)
endif

demo: install
	cd demo && ../$(BIN)/python manage.py migrate --noinput
	cd demo && ../$(BIN)/python manage.py tortoise_migrate --fake-initial
	cd demo && ../$(BIN)/python manage.py setup_demo
	@if [ "$(if $(DEMO_ENV),$(DEBUG),$(DEMO_DEBUG))" = 1 ]; then \
		echo "DEBUG is on: error pages show settings and local variables (passwords masked)."; \
	else \
		echo "DEBUG is off; to turn it on: make demo DEBUG=1 (or DEMO_DEBUG=1 make demo)."; \
	fi
	cd demo && $(DEMO_ENV) exec $(DEMO_SERVER)

# mypy --strict first (config in setup.cfg); then SQLite; then, when ASYNC_DRF_TEST_DB_URL
# names a PostgreSQL database, the same suite again on PostgreSQL (CI sets it).
test: install typecheck
	ASYNC_DRF_TEST_DB_URL= $(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$ASYNC_DRF_TEST_DB_URL" ]; then \
		echo "== PostgreSQL pass: $$ASYNC_DRF_TEST_DB_URL"; \
		$(BIN)/python -m pytest $(PYTEST_ARGS); \
	fi

# .ci/matrix/<entry>.txt pins one combination and names its Python; every entry by default.
matrix:
	.ci/run-matrix $(MATRIX)

# After reviewing the mirrors a drift test named: record the upstream sources for the
# releases in .venv and in every matrix entry.
drift-record: install
	ASYNC_DRF_DRIFT_RECORD=1 $(BIN)/python -m pytest tests/test_drift.py -q
	ASYNC_DRF_DRIFT_RECORD=1 PYTEST_ARGS="tests/test_drift.py -q" .ci/run-matrix $(MATRIX)

# The schemathesis run of the test suite, longer: FUZZ_EXAMPLES cases per operation and
# phase (the suite runs 20), FUZZ_SEED; on PostgreSQL too when ASYNC_DRF_TEST_DB_URL is set.
FUZZ_EXAMPLES ?= 300
FUZZ_SEED ?= 1
FUZZ_ENV = ASYNC_DRF_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ASYNC_DRF_FUZZ_SEED=$(FUZZ_SEED)

fuzz: install
	ASYNC_DRF_TEST_DB_URL= $(FUZZ_ENV) $(BIN)/python -m pytest tests/test_schema_fuzz.py $(PYTEST_ARGS)
	@if [ -n "$$ASYNC_DRF_TEST_DB_URL" ]; then \
		echo "== PostgreSQL pass: $$ASYNC_DRF_TEST_DB_URL"; \
		$(FUZZ_ENV) $(BIN)/python -m pytest tests/test_schema_fuzz.py $(PYTEST_ARGS); \
	fi

lint: install typecheck
	$(BIN)/ruff check async_drf tests demo bench
	$(BIN)/ruff format --check async_drf tests demo bench

typecheck: install
	$(BIN)/mypy

check: lint test

# The peers (adrf, django-ninja, FastAPI, gunicorn, ...) go into a venv of their own,
# bench/.venv, so that `make test` never sees them; async_drf is installed there editable.
BENCH_VENV ?= bench/.venv
BENCH_BIN := $(BENCH_VENV)/bin

$(BENCH_BIN)/python:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_BIN)/python -m pip install --quiet --upgrade pip

$(BENCH_VENV)/.installed: $(BENCH_BIN)/python bench/requirements.txt setup.cfg pyproject.toml
	$(BENCH_BIN)/python -m pip install --quiet -e . -r bench/requirements.txt
	touch $@

bench: $(BENCH_VENV)/.installed
	@sh bench/ensure_wrk.sh
	$(BENCH_BIN)/python bench/run.py $(BENCH_ARGS)

# No peers needed: the throttle stores timed in-process with the project's virtualenv.
bench-throttle: install
	$(BIN)/python bench/throttle.py $(THROTTLE_ARGS)

# async_drf's streaming list view alone (uvicorn from the dev extras): no peers to install.
bench-streaming: install
	$(BIN)/python bench/streaming.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .venv-matrix $(BENCH_VENV) build dist *.egg-info demo/var bench/results .mypy_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
