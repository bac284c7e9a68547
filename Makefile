# `make run` and `make test` set themselves up: a virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint typecheck proto bench fuzz clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,build]"
	touch $(STAMP)

# Removes replication/generated and generates it again with the pinned grpcio-tools (the `build` extra).
proto: $(STAMP)
	$(BIN)/python -m replication.build_proto

run: $(STAMP) proto
	$(BIN)/crm run

# The habits that keep the tree readable: lint and format are checked on every test run.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Types: no error on the whole product; the domain and every area's commands under the strict flags (pyproject).
typecheck: $(STAMP) proto
	$(BIN)/mypy

test: $(STAMP) proto lint typecheck
	$(BIN)/python -m pytest -q

# The unit and application layers (tests/unit, tests/application), the application tests on SQLite only (on both
# stores they take more than a minute): well under a minute, for every change. `make test` runs everything.
test-fast: $(STAMP) proto
	$(BIN)/python -m pytest -q -m "(unit or application) and not postgres"

bench: $(STAMP) proto
	$(BIN)/python -m bench.run

# Exploratory schemathesis run (minutes; not part of `make test`): every phase, stateful too, on each node.
FUZZ_MINUTES ?= 2
fuzz: $(STAMP) proto
	$(BIN)/python -m tests.support.fuzzing --minutes $(FUZZ_MINUTES) $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) data replication/generated
