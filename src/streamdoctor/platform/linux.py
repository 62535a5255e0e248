"""Linux adapter: GNOME (gsettings) and KDE (kioslaverc) proxy settings, `ip route get`, Claude Code's
/etc/claude-code managed settings. Environment variables are read by the probe itself on every OS."""

from __future__ import annotations

import os
from pathlib import Path

from .base import RouteInfo, SystemProxy
from .command import run_command
from .common import NoDescriptions, npm_prefixes, read_text, unique_existing
from .parse_net import parse_ip_route_get
from .parse_proxy import parse_gsettings_proxy, parse_kioslaverc

GSETTINGS_TIMEOUT_S = 1.5


def kioslaverc_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kioslaverc"


class LinuxProxyReader:
    def read_system_proxies(self) -> list[SystemProxy]:
        """The desktop's proxy settings, the running desktop's first (XDG_CURRENT_DESKTOP)."""
        found = [sp for sp in (self._gnome(), self._kde()) if sp is not None]
        desktop = os.environ.get("XDG_CURRENT_DESKTOP", "").lower()
        if "kde" in desktop:
            found.sort(key=lambda sp: 0 if sp.source.startswith("KDE") else 1)
        return found

    def _gnome(self) -> SystemProxy | None:
        out = run_command(["gsettings", "list-recursively", "org.gnome.system.proxy"], GSETTINGS_TIMEOUT_S)
        if out.error and "not installed" in out.error:
            return None  # no GNOME settings stack at all: nothing to report
        if not out.ok:
            return SystemProxy("GNOME proxy settings (gsettings)", mode="unknown",
                               error=f"could not read: {out.why()}", raw={"gsettings": out.raw()})
        sp = parse_gsettings_proxy(out.stdout)
        sp.raw = {"gsettings": out.raw()}
        return sp

    def _kde(self) -> SystemProxy | None:
        path = kioslaverc_path()
        text, error = read_text(path)
        if text is None:
            if error and "does not exist" in error:
                return None
            return SystemProxy("KDE proxy settings (kioslaverc)", mode="unknown", error=f"{error} ({path})")
        sp = parse_kioslaverc(text, os.environ)
        sp.raw = {"kioslaverc": f"# {path}\n{text[:8000]}"}
        return sp

    def proxy_for_url(self, url: str, timeout_s: float) -> tuple[str | None, str] | None:
        return None  # no OS API: the probe evaluates PAC itself


class LinuxRouteReader:
    def route_to(self, address: str, timeout_s: float) -> tuple[RouteInfo | None, str]:
        out = run_command(["ip", "route", "get", address], timeout_s)
        if not out.ok:
            return None, f"could not read: {out.why()}"
        route = parse_ip_route_get(out.stdout)
        return route, out.raw() if route else f"could not read: unrecognised output\n{out.raw()}"


class LinuxLocations:
    def managed_settings_paths(self) -> list[Path]:
        return [Path("/etc/claude-code/managed-settings.json")]

    def npm_global_roots(self) -> list[Path]:
        prefixes = npm_prefixes(Path.home()) + [Path("/usr/local"), Path("/usr")]
        return unique_existing([p / "lib" / "node_modules" for p in prefixes])


class LinuxPlatform:
    name = "linux"

    def __init__(self) -> None:
        self.proxy = LinuxProxyReader()
        self.routes = LinuxRouteReader()
        self.adapters = NoDescriptions()
        self.locations = LinuxLocations()
