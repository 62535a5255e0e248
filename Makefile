# The two commands a newcomer needs: `make run` and `make test`. Each sets itself up on a fresh machine.
.PHONY: run test lint lint-only lock setup-run setup-test bench dist dist-build smoke clean screenshots

VENV := .venv
PY := $(VENV)/bin/python
LAB ?=

run: setup-run
	$(VENV)/bin/streamdoctor $(if $(LAB),--lab $(LAB))

# ruff and mypy, then the test suite side by side with the frozen build, then the build's smoke test on the
# tar.gz and the .deb (scripts/run_tests.sh). Extra pytest arguments: make test PYTEST_ARGS="-k idle".
test: setup-test lint-only
	scripts/run_tests.sh $(PYTEST_ARGS)

lint: setup-test lint-only

lint-only:
	$(VENV)/bin/ruff check src tests bench packaging scripts
	$(VENV)/bin/mypy

# Refresh requirements.lock and requirements-dev.lock from pyproject.toml (needs the package index).
lock:
	@test -x $(VENV)/bin/uv || $(PY) -m pip install -q uv
	$(PY) scripts/lock_deps.py

# The frozen build (PyInstaller onedir), proven to carry every runtime import, its tar.gz and .deb; then the smoke
# test on both packages. `make test` runs the same two steps (dist-build beside the tests, then smoke).
VERSION = $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' src/streamdoctor/__init__.py)
TARBALL = dist/streamdoctor-$(VERSION)-linux-$(shell uname -m).tar.gz
DEB = dist/streamdoctor_$(VERSION)_$(shell dpkg --print-architecture).deb
dist: setup-test
	nice -n 10 $(MAKE) --no-print-directory dist-build
	$(MAKE) --no-print-directory smoke

dist-build:
	@start=$$(date +%s); \
	$(PY) -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/streamdoctor.spec && \
	QT_QPA_PLATFORM=offscreen dist/streamdoctor/streamdoctor --check-imports && \
	$(PY) packaging/make_linux_packages.py && \
	echo "build_time: $$(( $$(date +%s) - start )) s for the onedir, the import check, the tar.gz and the .deb"

smoke:
	$(PY) packaging/smoke_test.py --tarball $(TARBALL) --deb $(DEB)

# Every benchmark in bench/ (bench/run_all.py), one results table at the end.
bench: setup-test
	$(PY) bench/run_all.py

# Every wizard page rendered with lab data at 1024x700 to docs/screenshots/<lang>/*.png (under Xvfb when it is
# installed): `make screenshots` (English), `make screenshots LANG=de`, `make screenshots LANG=all`. LANG counts only
# when given on the command line: the LANG every shell exports is the locale, not a choice of screenshots; the
# script runs under C.UTF-8 so a LANG=de from the command line is not taken for a locale either.
SHOT_LANG = $(if $(filter command line,$(origin LANG)),$(LANG),en)
screenshots: setup-run
	$(PY) packaging/build_fonts.py --optional
	LANG=C.UTF-8 $(if $(shell command -v xvfb-run),xvfb-run -a -s "-screen 0 1280x800x24") \
		$(PY) scripts/screenshots.py --lang $(SHOT_LANG)

setup-run:
	@scripts/bootstrap.sh run

setup-test:
	@scripts/bootstrap.sh test

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache
