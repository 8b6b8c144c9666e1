# InsightEngine — `make run` to use it, `make test` to check it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test install migrate seed lint ci clean bench

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## Serve the app (HTTP + WebSocket on $$PORT, default 8000) and a Celery worker; Ctrl-C stops all.
run: seed
	$(PY) manage.py serve

## Run the whole test suite.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## Benchmarks (some engines need the local PostgreSQL and MariaDB); each prints its figures.
## SPIDER: a Spider-format dataset folder (train.json, database/) for the question-to-SQL engine.
SPIDER ?= ../shared/benchmarks/spider-train
bench: install
	$(PY) bench/schema_sync.py
	$(PY) bench/query_overhead.py
	$(PY) bench/cancel.py
	@if [ -f "$(SPIDER)/train.json" ]; then \
		$(PY) bench/nl2sql.py $(SPIDER)/train.json --db-root $(SPIDER)/database --sample 500 --seed 0; \
	else echo "bench/nl2sql.py skipped: no Spider dataset at $(SPIDER) (set SPIDER=…)"; fi

lint: install
	$(VENV)/bin/ruff check .

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
