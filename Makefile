# The two commands of the README: `make run` and `make test`. Both reuse .venv via `make setup`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000

.PHONY: setup run test test-fast lint screenshots bench-quick clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@bash scripts/ensure_chromium.sh
	@touch $(STAMP)

run: setup
	@bash scripts/dev_run.sh $(PORT)

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/mypy llmops_core annotate

screenshots: setup
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/browser

bench-quick: setup
	for n in agreement estimate rating judge export startup reports load; do $(BIN)/python -m bench.$$n --quick || exit 1; done

clean:
	rm -rf var/test var/broker
