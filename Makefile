# `make run` and `make test` set themselves up: a virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test proto bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

proto: $(STAMP)
	$(BIN)/python -m replication.build_proto

run: $(STAMP) proto
	$(BIN)/crm run

test: $(STAMP) proto
	$(BIN)/python -m pytest -q

bench: $(STAMP) proto
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) data replication/generated
