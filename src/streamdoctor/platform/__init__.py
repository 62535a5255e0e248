"""OS adapters for the environment scan, behind the small interfaces in base.py.

`current()` returns the adapter for this machine. Parsers of OS output are pure functions in parse_*.py and
are importable (and tested) on every OS; only linux.py / macos.py / windows.py touch the system.
"""

from __future__ import annotations

import functools
import sys

from .base import ClientLocations, Platform, RouteInfo, RouteReader, SystemProxy, SystemProxyReader


@functools.cache
def current() -> Platform:
    if sys.platform == "win32":
        from .windows import WindowsPlatform

        return WindowsPlatform()
    if sys.platform == "darwin":
        from .macos import MacPlatform

        return MacPlatform()
    from .linux import LinuxPlatform

    return LinuxPlatform()


__all__ = ["ClientLocations", "Platform", "RouteInfo", "RouteReader", "SystemProxy", "SystemProxyReader", "current"]
