# The two commands a newcomer types: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test run lint typecheck unit integration kafka-fetch openapi chaos bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the project's metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

kafka-fetch: $(STAMP)
	$(BIN)/python -m tools.kafka fetch

lint: $(STAMP)
	$(BIN)/ruff check app tools tests
	$(BIN)/ruff format --check app tools tests
	$(BIN)/hadolint Dockerfile Dockerfile.mini

typecheck: $(STAMP)
	$(BIN)/mypy --strict app tools

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

integration: $(STAMP) kafka-fetch
	$(BIN)/pytest tests/integration tests/e2e -q

test: lint typecheck kafka-fetch
	$(BIN)/pytest -q --durations=10

# Regenerate the committed OpenAPI document after an API change (a test fails until then).
openapi: $(STAMP)
	$(BIN)/python -m tools.openapi

# A few minutes of random instance kills and a broker restart under load (not in `make test`).
chaos: $(STAMP) kafka-fetch
	$(BIN)/python -m tools.chaos

# The figures of BENCHMARKS.md into bench/results/latest.json (minutes; not in `make test`).
bench: $(STAMP) kafka-fetch
	$(BIN)/python -m tools.bench

run: $(STAMP) kafka-fetch
	$(BIN)/python -m tools.run_local

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
