# The two commands a newcomer needs: `make run` and `make test`. Each sets itself up on a fresh machine.
.PHONY: run test lint setup-run setup-test bench clean

VENV := .venv
PY := $(VENV)/bin/python
LAB ?=

run: setup-run
	$(VENV)/bin/streamdoctor $(if $(LAB),--lab $(LAB))

test: setup-test
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(PY) -m pytest

lint: setup-test
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

setup-run:
	@scripts/bootstrap.sh run

setup-test:
	@scripts/bootstrap.sh test

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache
