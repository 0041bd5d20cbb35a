# Two commands on a fresh machine: `make run` and `make test`. Everything else is installed from here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install assets messages db demo serve system-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed messages

assets: node_modules/.installed

messages: $(VENV)/.installed
	$(BIN)/siaga compile_translations

db: install
	$(BIN)/siaga migrate --noinput
	$(BIN)/siaga import regions

demo: db
	$(BIN)/siaga demo

serve:
	$(BIN)/siaga serve --host $(HOST) --port $(PORT)

run: demo
	$(BIN)/siaga serve --host $(HOST) --port $(PORT)

system-deps:
	@bash scripts/system-deps.sh

test: install system-deps
	@set +e; $(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests were collected"; exit 0; fi; exit $$rc

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) node_modules var
