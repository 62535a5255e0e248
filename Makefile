# The two commands a newcomer needs: `make run` and `make test`. Each sets itself up on a fresh machine.
.PHONY: run test lint setup-run setup-test bench dist clean screenshots

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

# The frozen build (PyInstaller onedir), its tar.gz and .deb, then the smoke test on both packages. Not part of
# `make test` (minutes of CPU); tests/test_frozen_smoke.py runs the smoke test whenever dist/ has a fresh build.
VERSION = $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' src/streamdoctor/__init__.py)
dist: setup-test
	nice -n 10 $(PY) -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/streamdoctor.spec
	nice -n 10 $(PY) packaging/make_linux_packages.py
	$(PY) packaging/smoke_test.py --tarball dist/streamdoctor-$(VERSION)-linux-$(shell uname -m).tar.gz \
		--deb dist/streamdoctor_$(VERSION)_$(shell dpkg --print-architecture).deb

# Every benchmark in bench/ (bench/run_all.py), one results table at the end.
bench: setup-test
	$(PY) bench/run_all.py

# Every wizard page rendered with lab data to docs/screenshots/*.png (under Xvfb when it is installed).
screenshots: setup-run
	$(if $(shell command -v xvfb-run),xvfb-run -a -s "-screen 0 1280x800x24") $(PY) scripts/screenshots.py

setup-run:
	@scripts/bootstrap.sh run

setup-test:
	@scripts/bootstrap.sh test

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache
