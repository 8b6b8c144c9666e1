# InsightEngine — `make run` to use it, `make test` to check it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test install migrate seed lint ci clean bench bench-quick

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

## The console's front-end libraries (htmx, Vega) from the npm registry, pinned by package-lock.json.
## Without npm the API works; the console then says which libraries are missing.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm not found: the browser console's charts and htmx will be missing (install Node.js, then make install)"; fi

install: $(STAMP) $(NODE_STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## Serve the app (HTTP + WebSocket on $$PORT, default 8000) and a Celery worker; Ctrl-C stops all.
run: seed
	$(PY) manage.py serve

## Run the whole test suite, on TEST_WORKERS processes (pytest-xdist; 0 = in this process).
TEST_WORKERS ?= 2
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## Benchmarks (some engines need the local PostgreSQL and MariaDB; the load and fan-out benches need Redis),
## one after another, then a summary table. SPIDER: a Spider-format dataset folder (train.json, database/) for
## the question-to-SQL engine. `make bench-quick` shortens the long ones (load 60 s, fan-out 200 clients).
SPIDER ?= ../shared/benchmarks/spider-train
bench: install
	$(PY) bench/all.py --spider $(SPIDER)

bench-quick: install
	$(PY) bench/all.py --spider $(SPIDER) --quick

lint: install
	$(VENV)/bin/ruff check .

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache node_modules
