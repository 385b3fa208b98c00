# Two commands on a fresh machine: `make run` (the advisor, offline by default) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: run test lint typecheck pytest install install-dev bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The dev extra, plus the optional `local` extra (llama-cpp-python builds from source: about 7 minutes the
# first time) so the smoke test with a real small model runs.
$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,local]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: the advisor's interactive chat, offline unless ADVISOR_MODEL says otherwise
## (pass ARGS="rank" or any other command to run that instead)
ARGS ?= chat
run: install
	$(BIN)/advisor $(ARGS)

## test: lint, type-check and the whole test suite
test: install-dev lint typecheck pytest

lint: install-dev
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/pytest -q

## bench: retrieval quality and speed figures (see benchmarks/RESULTS.md)
bench: install-dev
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/speed.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
