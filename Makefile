# Everything runs from the project's own virtual environment in .venv,
# created and kept in step with pyproject.toml by the first target that needs it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: chat test bench lint graph check lock wheel-check

LOG := $(VENV)/install.log

# One progress line on screen; pip's full output goes to $(LOG), named if set-up fails.
$(STAMP): pyproject.toml
	@mkdir -p $(VENV)
	@printf 'Setting up %s (first run, or pyproject.toml changed; about a minute) ... ' "$(VENV)"
	@{ $(PYTHON) -m venv $(VENV) \
	   && $(BIN)/python -m pip install --upgrade pip \
	   && $(BIN)/python -m pip install -e ".[dev]"; } >$(LOG) 2>&1 \
	 || { echo "failed."; echo "Set-up failed; the full pip output is in $(LOG):" >&2; \
	      tail -n 5 $(LOG) >&2; exit 1; }
	@touch $(STAMP)
	@echo done.

chat: $(STAMP)  ## talk to the bot in this terminal (SQLite store, no tokens)
	@$(BIN)/crampbot chat

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

lock: $(STAMP)  ## pin the runtime dependencies for deployments in constraints.txt
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --quiet \
	  --custom-compile-command "make lock" -o constraints.txt

wheel-check: $(STAMP)  ## build the wheel and sdist, install and use the wheel outside the checkout
	.ci/wheel-check
