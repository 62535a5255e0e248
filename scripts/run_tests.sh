#!/usr/bin/env bash
# `make test` after ruff and mypy: the test suite and the frozen build side by side, then the build's smoke test.
#
# Why side by side: PyInstaller is minutes of CPU on one core, while the test suite mostly waits on sockets, timers
# and namespaces. Run one after the other they would not fit in CI's 15 minutes; niced, the build takes the idle
# CPU and the tests keep their priority. The smoke test then runs the binary users install (the tar.gz and the
# .deb), so every change is proven in the frozen app, not only in the source tree.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
log=build/dist-build.log
nice -n 10 make --no-print-directory dist-build >"$log" 2>&1 &
build_pid=$!
trap 'kill -- "$build_pid" 2>/dev/null' INT TERM

# Three workers on two cores: most tests wait on sockets, timers and namespaces, not the CPU. Measured from a fresh
# clone: 955 tests in 8.1 min in three workers beside the niced build (the 469 tests of the round before took
# 8.7 min serially). --dist loadfile keeps a file's tests (and its module fixtures: labs, namespaces) in one
# worker. PYTEST_WORKERS=0 runs serially.
workers=${PYTEST_WORKERS:-3}
# Tests marked `frozen` run the binary in dist/: they wait for the build (below), never a half-built dist/.
if [ "$workers" = 0 ]; then
  .venv/bin/python -m pytest -m "not frozen" "$@"
else
  .venv/bin/python -m pytest -m "not frozen" -n "$workers" --dist loadfile "$@"
fi
tests=$?

wait "$build_pid"
built=$?
trap - INT TERM
if [ "$built" -ne 0 ]; then
  tail -n 40 "$log"
  echo "make test: the frozen build failed (whole log: $log)" >&2
  exit 1
fi
grep -E '^(check-imports|make_linux_packages|build_time):' "$log" || true
.venv/bin/python -m pytest -m frozen -q "$@"
frozen=$?
[ "$frozen" -eq 5 ] && frozen=0  # no test selected (a narrowed PYTEST_ARGS): nothing to run on the build
make --no-print-directory smoke
smoke=$?
[ "$tests" -eq 0 ] && [ "$frozen" -eq 0 ] && [ "$smoke" -eq 0 ]
