#!/usr/bin/env bash
# Makes a fresh Debian/Ubuntu machine ready: the system packages, then .venv with the app (and dev tools).
#   scripts/bootstrap.sh run    what the wizard needs
#   scripts/bootstrap.sh test   plus what the test suite needs (real nginx, squid, netfilter, Xvfb)
# As root it installs missing Debian packages itself; otherwise it prints the exact apt line and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-run}

# Qt's xcb and offscreen platforms (PySide6-Essentials wheels bring Qt, not these system libraries).
RUN_PKGS="libegl1 libgl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 libxcb1
 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0 libx11-xcb1 fonts-dejavu-core"
# The network lab (namespaces, netfilter, nginx, squid with ssl_bump), ping for path MTU, Xvfb for screenshots;
# binutils (objdump, strip) for PyInstaller in `make dist`; tsc (node-typescript) compiles the generated
# TypeScript snippet of the sdk-snippet fix; tshark reads the bundle's pcapng (who cut it); fonts-noto-cjk is the
# source packaging/build_fonts.py subsets into the app's Japanese and Chinese fonts. The keychain tests run a real Secret Service (gnome-keyring, whose
# gcr prompter shows the unlock dialog on Xvfb, typed into by xdotool; secret-tool reads items back; dbus-daemon).
TEST_PKGS="iproute2 iptables iputils-ping nginx-light squid-openssl openssl xvfb xauth chromium libglib2.0-bin binutils node-typescript tshark
 gnome-keyring libsecret-tools dbus-daemon xdotool fonts-noto-cjk"

pkgs=$RUN_PKGS
[ "$what" = test ] && pkgs="$RUN_PKGS $TEST_PKGS"
if command -v dpkg-query >/dev/null 2>&1; then
  missing=""
  for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "bootstrap: installing Debian packages:$missing"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      # policy-rc.d keeps nginx/squid from starting as system services: the tests run their own instances.
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
      apt-get install -y -qq --no-install-recommends $missing >/dev/null
      rm -f /usr/sbin/policy-rc.d
    else
      echo "bootstrap: these Debian packages are missing. Install them, then run this again:" >&2
      echo "  sudo apt-get install -y$missing" >&2
      exit 1
    fi
  fi
else
  echo "bootstrap: not a Debian-like system; install the equivalents of: $pkgs" >&2
fi

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "bootstrap: Python 3.11 or newer is needed ($PY is $("$PY" -V 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv || { echo "bootstrap: python venv failed; on Debian: apt-get install python3-venv" >&2; exit 1; }
fi
# Dependencies come only from the hash-checked locks (scripts/lock_deps.py, `make lock`): what CI tests is what
# `make run` runs and what `make dist` freezes. The app itself is then linked in editable with no dependency
# resolution of its own (--no-deps) and no download of a build backend (--no-build-isolation: setuptools is locked).
lock=requirements.lock
[ "$what" = test ] && lock=requirements-dev.lock
stamp=.venv/.installed-$what
if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes --only-binary :all: -r "$lock"
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
  touch "$stamp"
fi
# resources/ -> package data (the icon's PNG bytes): cheap, and only writes when the result changed.
QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/build_resources.py
# resources/translations/*.po -> the compiled catalogs the app reads (standard library only; writes on change).
.venv/bin/python packaging/build_translations.py
# The Noto CJK subsets for ja and zh_CN (fontTools is a dev dependency, so test mode only: without them the app uses
# the system's fonts; writes on change).
if [ "$what" = test ]; then
  .venv/bin/python packaging/build_fonts.py
fi
