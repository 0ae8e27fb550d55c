# ArtStore — the front door. `make run` for the local suite, `make test` for every test.
SHELL := /bin/bash
PY := .venv/bin/python
PYTEST := .venv/bin/pytest
TEST_STATE := .artstore/test-stack
UNIT_DIRS := libs/artstore-common/tests/unit admin-module/tests/unit storage-element/tests/unit \
             ingester-module/tests/unit query-module/tests/unit

.PHONY: help install install-python install-system install-ui run up down clean status \
        test test-unit test-ui test-containers lint bench

help:
	@echo "make run        start the whole suite in the foreground (Ctrl-C stops it)"
	@echo "                (SUITE_ARGS=--tls: HTTPS/TLS 1.3 between services, local CA)"
	@echo "make up / down  start in the background / stop (data in .artstore/ is kept)"
	@echo "make clean      stop and delete all local data (.artstore/)"
	@echo "make test       install what is missing, start servers, run every test"
	@echo "make test-unit  fast unit tests only (no servers)"
	@echo "make test-containers  build every image, run the compose stack (+ monitoring) and"
	@echo "                smoke-test it on a private Docker daemon (part of make test;"
	@echo "                ARTSTORE_SKIP_CONTAINERS=1 skips it outside CI)"
	@echo "make lint       ruff"
	@echo "make bench      every benchmark: one table, JSON in .artstore/bench/"
	@echo "                (BENCH_ARGS=--quick: small sizes; search at 100k and 1M rows, built"
	@echo "                once and kept under .artstore/; --search-docs 100000: only 100k)"

install: install-system install-python install-ui

install-system:
	@bash scripts/install-system-deps.sh

install-python:
	@bash scripts/bootstrap-python.sh

install-ui:
	@if [ -f admin-ui/package-lock.json ]; then \
	  if [ ! -d admin-ui/node_modules ] || [ admin-ui/package-lock.json -nt admin-ui/node_modules/.package-lock.json ]; then \
	    (cd admin-ui && npm ci --no-audit --no-fund --loglevel=error); fi; \
	  if [ ! -f admin-ui/dist/admin-ui/browser/index.html ] || [ -n "$$(find admin-ui/src -newer admin-ui/dist/admin-ui/browser/index.html -print -quit)" ]; then \
	    (cd admin-ui && npx ng build --configuration production >/dev/null); fi; \
	fi

run: install
	@$(PY) scripts/suite.py run $(SUITE_ARGS)

up: install
	@$(PY) scripts/suite.py up $(SUITE_ARGS)

down:
	@if [ -x $(PY) ]; then $(PY) scripts/suite.py down; else python3 scripts/stack.py stop; fi

status:
	@$(PY) scripts/suite.py status

clean: down
	@python3 scripts/stack.py stop --state $(TEST_STATE) >/dev/null 2>&1 || true
	rm -rf .artstore

test: install
	@bash scripts/run-tests.sh

test-containers: install-python
	@bash scripts/test-containers.sh

test-unit: install-python
	@$(PYTEST) -q $(UNIT_DIRS)

lint: install-python
	@.venv/bin/ruff check .

bench: install
	@bash scripts/run-bench.sh $(BENCH_ARGS)
