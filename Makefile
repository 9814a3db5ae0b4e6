# Two commands for a fresh machine: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# `make test` runs test modules in parallel processes (pytest-xdist), a module's tests in one process since they
# share its local stack; coverage is combined from the workers. TEST_WORKERS=0 runs everything in one process.
# One worker more than cores: the tests also wait (on their servers, CLI subprocesses and the sandbox's clock), and a
# third worker fills those waits: on 2 cores `make test` took 611 s with 3 workers, 694 s with 2.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')

.PHONY: env demo test bench lint app screenshots clean up down status

env: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip==26.2.1
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

demo: env                ## start the local stack, deploy, run the pipeline end to end, print a summary
	$(BIN)/whoop demo

test: env                ## lint, type-check, preflight (Snowflake's Native App rules), then the test suite with coverage
	$(BIN)/ruff check .
	$(BIN)/pyright  # snowpark_procs/ and app/ ([tool.pyright] in pyproject.toml)
	$(BIN)/whoop preflight
	$(BIN)/python -m pytest --cov --cov-report=term --durations=20 -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)
	$(BIN)/python tests/coverage_gate.py

bench: env               ## run the benchmarks, write bench/results/latest.json
	$(BIN)/whoop bench

screenshots: env         ## refresh docs/screenshots/ (the README's) from the browser test: headless Chromium on demo data
	WHOOP_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q tests/integration/test_dashboard_browser.py

app: env                 ## serve the Streamlit dashboard on localhost against the local warehouse (after `make demo`)
	$(BIN)/whoop app $(if $(PORT),--port $(PORT))

lint: env                ## ruff, and sqlfluff on sql/ with the checked-in .sqlfluff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint sql/ --processes 2

up: env
	$(BIN)/whoop local up
down: env
	$(BIN)/whoop local down
status: env
	$(BIN)/whoop local status

clean:
	-$(BIN)/whoop local down
	rm -rf .whoop output .pytest_cache .coverage
