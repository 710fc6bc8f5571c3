# Everything runs from the project's own virtual environment in .venv,
# created and kept in step with pyproject.toml by the first target that needs it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: chat test bench lint graph check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

chat: $(STAMP)  ## talk to the bot in this terminal (SQLite store, no tokens)
	$(BIN)/crampbot chat

test: $(STAMP)  ## the whole test suite (Redis tests skip without Redis, except in CI)
	$(BIN)/python -m pytest

bench: $(STAMP)  ## the benchmarks: numbers and ratios against baselines of the same run
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check: $(STAMP)
	$(BIN)/crampbot check

graph: $(STAMP)
	$(BIN)/crampbot graph --markdown > docs/dialog.md
