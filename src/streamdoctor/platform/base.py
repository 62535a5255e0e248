"""The small interfaces the environment scan needs from the OS, one per concern, and the shapes they return.

Each OS module (linux.py, macos.py, windows.py) implements them; `streamdoctor.platform.current()` picks the
one for this machine. Parsing of command output and registry values lives in pure parse_*.py modules, so it is
tested on recorded outputs of every OS on any OS. Nothing here raises on a broken system: a reader that cannot
read says so in `error` ("could not read: why").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass
class SystemProxy:
    """What the OS / desktop says about proxies (what a browser would follow), before asking it for one URL.

    mode: "none" (direct), "manual" (static host:port), "pac" (a script decides), "auto-detect" (WPAD),
    "env" (KDE: follow the environment variables) or "unknown" (could not read).
    """

    source: str
    mode: str = "none"
    http: str | None = None
    https: str | None = None
    socks: str | None = None
    bypass: list[str] = field(default_factory=list)
    pac_url: str | None = None
    auto_detect: bool = False
    error: str | None = None
    raw: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "mode": self.mode, "http": self.http, "https": self.https, "socks": self.socks,
            "bypass": list(self.bypass), "pac_url": self.pac_url, "auto_detect": self.auto_detect,
            "error": self.error,
        }


@dataclass
class RouteInfo:
    """How the OS routes one destination address (from `ip route get` / `route -n get`)."""

    destination: str
    interface: str | None = None
    gateway: str | None = None
    source_address: str | None = None
    mtu: int | None = None


class SystemProxyReader(Protocol):
    """Reads the OS/desktop proxy settings (static and PAC URL). Never raises; never talks to the network."""

    def read_system_proxies(self) -> list[SystemProxy]: ...

    def proxy_for_url(self, url: str, timeout_s: float) -> tuple[str | None, str] | None:
        """The OS's own answer for `url` when it has an API for it (WinHTTP): (proxy URL or None, source).
        None when the OS has no such API (then PAC is evaluated by pypac)."""
        ...


class RouteReader(Protocol):
    """Asks the OS which interface and gateway a destination address goes by (no packet is sent)."""

    def route_to(self, address: str, timeout_s: float) -> tuple[RouteInfo | None, str]:
        """(route or None, raw command output or the reason it could not be read)."""
        ...


class ClientLocations(Protocol):
    """Where Claude clients keep their files on this OS."""

    def managed_settings_paths(self) -> list[Path]: ...

    def npm_global_roots(self) -> list[Path]: ...


class AdapterDescriber(Protocol):
    """Hardware/driver descriptions of interfaces by name, where the OS names them differently (Windows calls
    the adapter "Ethernet 3" and the driver "PANGP Virtual Ethernet Adapter"). Empty when there is nothing more."""

    def descriptions(self) -> dict[str, str]: ...


class Platform(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def proxy(self) -> SystemProxyReader: ...

    @property
    def routes(self) -> RouteReader: ...

    @property
    def locations(self) -> ClientLocations: ...

    @property
    def adapters(self) -> AdapterDescriber: ...
