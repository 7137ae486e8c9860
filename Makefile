# Fresh machine: `make run` (set up .venv, pre-label seeds/, start a local Label Studio, push, print the URL)
# or `make test` (set up .venv, run the checks and the tests, against a real Label Studio).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run stop test test-fast test-browser lint chromium postgresql bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/annotate prelabel seeds/ --out tasks.json
	$(BIN)/annotate studio up --background
	$(BIN)/annotate push tasks.json --project news

stop: $(STAMP)
	$(BIN)/annotate studio down

lint: $(STAMP)
	$(BIN)/ruff check annotate tests bench seeds
	$(BIN)/ruff format --check annotate tests bench seeds
	$(BIN)/mypy

# `make test` is what CI runs: the checks, then the whole suite, the browser tests (pytest.mark.browser:
# the Label Studio editor in Chromium) included. `make test-fast` leaves those out; `make test-browser`
# runs only them (ANNOTATE_UPDATE_DOCS=1 also refreshes docs/annotator-view.png).
test: lint chromium postgresql
	$(BIN)/python -m pytest

test-fast: lint postgresql
	$(BIN)/python -m pytest -m "not browser"

test-browser: lint chromium
	$(BIN)/python -m pytest -m browser

# The browser tests drive Debian's Chromium (Playwright never downloads one): installed here when
# missing and this runs as root with apt, otherwise the one command to run is printed.
chromium:
	@if ! command -v chromium >/dev/null 2>&1 && [ ! -x "$${ANNOTATE_CHROMIUM:-/nonexistent}" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq chromium && \
	    { apt-get install -y -qq fonts-noto-color-emoji || true; }; \
	  else \
	    echo "the browser tests need Chromium: run  sudo apt-get install chromium  (or set ANNOTATE_CHROMIUM" \
	         "to a Chromium binary), or run  make test-fast  to leave them out" >&2; exit 1; \
	  fi; \
	fi

# Label Studio on PostgreSQL (`annotate studio up --database postgresql`) needs Debian's postgresql
# package: installed here when missing and this runs as root with apt, otherwise the command is printed.
postgresql:
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq postgresql; \
	  else \
	    echo "the PostgreSQL tests need it: run  sudo apt-get install postgresql" >&2; exit 1; \
	  fi; \
	fi

# Benchmarks (quick sizes, a few minutes on 2 cores); each prints ratios against a baseline run beside it.
bench: $(STAMP)
	$(BIN)/python bench/prelabel_bench.py
	$(BIN)/python bench/export_bench.py
	$(BIN)/python bench/push_bench.py
	$(BIN)/python bench/serve_bench.py
	$(BIN)/python bench/retrain_bench.py
	$(BIN)/python bench/ray_bench.py
	$(BIN)/python bench/database_bench.py
	$(BIN)/python bench/webworkers_bench.py
	$(BIN)/python bench/ray_memory_bench.py --sizes 1000 10000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
