"""macOS adapter: `scutil --proxy` (what Safari and the OS use), `route -n get`, Claude Code's managed settings
in /Library/Application Support/ClaudeCode."""

from __future__ import annotations

from pathlib import Path

from .base import RouteInfo, SystemProxy
from .command import run_command
from .common import NoDescriptions, npm_prefixes, unique_existing
from .parse_net import parse_macos_route_get
from .parse_proxy import parse_scutil_proxy


class MacProxyReader:
    def read_system_proxies(self) -> list[SystemProxy]:
        out = run_command(["/usr/sbin/scutil", "--proxy"], 1.5)
        if not out.ok:
            return [SystemProxy("macOS network settings (scutil --proxy)", mode="unknown",
                                error=f"could not read: {out.why()}", raw={"scutil --proxy": out.raw()})]
        sp = parse_scutil_proxy(out.stdout)
        sp.raw = {"scutil --proxy": out.raw()}
        return [sp]

    def proxy_for_url(self, url: str, timeout_s: float) -> tuple[str | None, str] | None:
        return None  # CFNetworkCopyProxiesForURL would need PyObjC; the probe evaluates PAC itself


class MacRouteReader:
    def route_to(self, address: str, timeout_s: float) -> tuple[RouteInfo | None, str]:
        argv = ["/sbin/route", "-n", "get", "-inet6" if ":" in address else "-inet", address]
        out = run_command(argv, timeout_s)
        if not out.ok:
            return None, f"could not read: {out.why()}"
        route = parse_macos_route_get(out.stdout)
        return route, out.raw() if route else f"could not read: unrecognised output\n{out.raw()}"


class MacLocations:
    def managed_settings_paths(self) -> list[Path]:
        return [Path("/Library/Application Support/ClaudeCode/managed-settings.json")]

    def npm_global_roots(self) -> list[Path]:
        prefixes = npm_prefixes(Path.home()) + [Path("/opt/homebrew"), Path("/usr/local")]
        return unique_existing([p / "lib" / "node_modules" for p in prefixes])


class MacPlatform:
    name = "macos"

    def __init__(self) -> None:
        self.proxy = MacProxyReader()
        self.routes = MacRouteReader()
        self.adapters = NoDescriptions()
        self.locations = MacLocations()
