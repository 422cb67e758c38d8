# Every target builds its own virtual environment first, so a fresh clone needs
# nothing but Python 3.10+ and access to a package registry.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SCHEMA_SOURCE ?= ../shared/reference/stigg-schema.graphql

.PHONY: help venv test demo bench reliability lint typecheck format schema codegen emulator dist clean official-client

help:
	@echo "make demo         run examples/quickstart.py against the built-in emulator"
	@echo "make test         lint, type-check and run the whole test suite"
	@echo "make bench        run the benchmarks, write docs/benchmarks.md"
	@echo "make reliability  run the full reliability suite and print its summary"
	@echo "make schema       regenerate operations/schema.graphql (SCHEMA_SOURCE=file, or API_URL= and API_KEY=)"
	@echo "make codegen      regenerate the enums and input models from operations/schema.graphql"
	@echo "make emulator     start the emulator on 127.0.0.1:8787"
	@echo "make official-client  build .venv-official (the official client, to run its scripts by hand)"
	@echo "make dist         build the sdist and the wheel into dist/"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check stigg_async tests examples scripts benchmarks
	$(PY) -m ruff format --check stigg_async tests examples scripts benchmarks

typecheck: $(STAMP)
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format stigg_async tests examples scripts benchmarks
	$(PY) -m ruff check --fix stigg_async tests examples scripts benchmarks

test: lint typecheck
	$(PY) -m pytest

demo: $(STAMP)
	$(PY) scripts/run_demo.py

bench: $(STAMP)
	$(PY) -m benchmarks

reliability: $(STAMP)
	$(PY) -m pytest tests/reliability -p no:randomly -q --reliability-full

schema: $(STAMP)
ifdef API_URL
	$(PY) scripts/prune_schema.py --url "$(API_URL)" --api-key-env API_KEY --out operations/schema.graphql
else
	$(PY) scripts/prune_schema.py --source "$(SCHEMA_SOURCE)" --out operations/schema.graphql
endif
	$(PY) scripts/codegen.py

codegen: $(STAMP)
	$(PY) scripts/codegen.py

emulator: $(STAMP)
	$(PY) -m stigg_async.emulator --host 127.0.0.1 --port 8787 --api-key dev-key

dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist .

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache .bench .cache

# The official Python client pins tenacity<9, which gql cannot share: it gets a
# virtualenv of its own (the tests build theirs under .cache/ on demand).
official-client:
	$(PYTHON) -m venv .venv-official
	.venv-official/bin/pip install "stigg-api-client-v2==6.25.0"
