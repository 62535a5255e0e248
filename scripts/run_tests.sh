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

.venv/bin/python -m pytest "$@"
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
make --no-print-directory smoke
smoke=$?
[ "$tests" -eq 0 ] && [ "$smoke" -eq 0 ]
