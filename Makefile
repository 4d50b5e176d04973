# Two commands matter: `make demo` and `make test`. Everything else is a step they use.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: demo rehearse test install system-deps lint typecheck unit clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip setuptools wheel
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Monaco comes from the npm package (cached in ~/.cache/pytest-release/monaco), never a CDN.
install: $(VENV)/.installed
	$(PY) -m pytest_release.reference.assets install

system-deps:
	bash scripts/system-deps.sh

## demo: rehearse the whole schedule on the bundled reference deployment (QUICK=1: skip predeploy;
## FAULT=run-500: a broken release, rolled back); print the verdict, each phase and the report paths
demo: install system-deps
	$(PY) -m pytest_release.demo $(if $(QUICK),--quick) $(if $(FAULT),--fault $(FAULT))

## rehearse: the whole deployment schedule against the reference (FAULT=run-500 rolls back)
rehearse: install system-deps
	$(VENV)/bin/pytest-release rehearse $(if $(FAULT),--fault $(FAULT))

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

unit: install system-deps
	$(PY) -m pytest -p no:release -n 2 --dist loadfile tests

## test: the project's own checks: ruff, mypy --strict, then the test suite
test: lint typecheck unit

clean:
	rm -rf reports/* .pytest_cache .mypy_cache .ruff_cache
