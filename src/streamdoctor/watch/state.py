"""The laptop's network state at a moment: what a cut is correlated with.

Cheap parts (interfaces, addresses, default routes, the route to the API host, VPN adapters, proxy
variables) are read at every poll; the costly ones (the Wi-Fi name runs a command, the VPN process scan walks
every process) only when the cheap part changed or at most every `SLOW_REFRESH_S`. Nothing here holds a
secret: the proxy URL loses its credentials and no environment value other than proxies is read.
"""

from __future__ import annotations

import contextlib
import socket
import time
from typing import Any

from ..i18n import _
from ..platform.agents import load_agents, match_adapter, match_process
from ..platform.wifi import wifi_name

RESOLVE_TTL_S = 60.0  # the API host's addresses are looked up at most this often (a lookup is traffic where
# no caching resolver runs); a network change looks them up again at once
SLOW_REFRESH_S = 300.0  # the Wi-Fi name and the VPN processes rarely change without the addresses changing
ROUTE_PROBE_PORT = 443  # a UDP connect() only picks a route; no packet is sent


def _route_source(host_addrs: list[tuple[int, str]], family: int) -> str | None:
    for fam, addr in host_addrs:
        if fam != family:
            continue
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as s:
            s.connect((addr, ROUTE_PROBE_PORT))
            return str(s.getsockname()[0])
    return None


def resolve(host: str, port: int, timeout_s: float = 1.0) -> list[tuple[int, str]]:
    """The host's addresses (family, address); a literal address is returned as is, without a lookup."""
    del timeout_s  # getaddrinfo has no timeout; literals and the lab never block, a real name rarely does
    with contextlib.suppress(OSError):
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        seen: list[tuple[int, str]] = []
        for fam, _t, _p, _c, sa in infos:
            item = (int(fam), str(sa[0]))
            if item not in seen:
                seen.append(item)
        return seen
    return []


class StateReader:
    """Reads the state; `read()` returns (fast fingerprint dict, full state dict)."""

    def __init__(self, host: str, port: int, wifi: bool = True, processes: bool = True) -> None:
        self.host, self.port = host, port
        self.wifi, self.processes = wifi, processes
        self._slow: dict[str, Any] = {}
        self._slow_at = -1e9
        self._last_fast: dict[str, Any] | None = None
        self._addrs: list[tuple[int, str]] = []
        self._addrs_at = -1e9

    def fast(self) -> dict[str, Any]:
        import netifaces
        import psutil

        up: dict[str, list[str]] = {}
        with contextlib.suppress(Exception):
            stats = psutil.net_if_stats()
            for name, addrs in psutil.net_if_addrs().items():
                if name == "lo" or name not in stats or not stats[name].isup:
                    continue
                ips = sorted(a.address.split("%")[0] for a in addrs if a.family in (socket.AF_INET, socket.AF_INET6)
                             and not a.address.startswith(("127.", "::1", "fe80")))
                if ips:
                    up[name] = ips
        gateways: dict[str, list[str]] = {}
        with contextlib.suppress(Exception):
            default: Any = netifaces.gateways().get("default", {})
            for fam, gw in dict(default).items():
                label = "ipv4" if fam == socket.AF_INET else "ipv6" if fam == socket.AF_INET6 else str(fam)
                gateways[label] = [str(gw[0]), str(gw[1])]
        if (time.monotonic() - self._addrs_at > RESOLVE_TTL_S or not self._addrs
                or (self._last_fast is not None and up != self._last_fast.get("interfaces"))):
            self._addrs, self._addrs_at = resolve(self.host, self.port), time.monotonic()
        addrs = self._addrs
        src4, src6 = _route_source(addrs, socket.AF_INET), _route_source(addrs, socket.AF_INET6)
        via = next((name for name, ips in up.items() for ip in ips if ip in (src4, src6)), None)
        vpn = sorted({a.name for name in up for m in [match_adapter(name)] if m for a in [m[0]] if not a.weak})
        import urllib.request

        proxies = {}
        with contextlib.suppress(Exception):
            proxies = urllib.request.getproxies()
        from ..probes.idle import _safe_proxy  # here, not at the top: the tray imports this module at start

        proxy = _safe_proxy(proxies.get("https") or proxies.get("all"))
        return {"interfaces": up, "default_route": gateways, "api_route": {"interface": via, "ipv4_source": src4,
                "ipv6_source": src6}, "families": sorted({"ipv4" if f == socket.AF_INET else "ipv6"
                                                          for f, _ in addrs}),
                "vpn_adapters": vpn, "proxy": proxy}

    def read(self, force_slow: bool = False) -> dict[str, Any]:
        fast = self.fast()
        changed = self._last_fast is not None and fast != self._last_fast
        if force_slow or changed or self._last_fast is None or time.monotonic() - self._slow_at > SLOW_REFRESH_S:
            self._slow = self.slow()
            self._slow_at = time.monotonic()
        self._last_fast = fast
        return {**fast, **self._slow}

    def slow(self) -> dict[str, Any]:
        out: dict[str, Any] = {"wifi": None, "agents": []}
        if self.wifi:
            with contextlib.suppress(Exception):
                out["wifi"] = wifi_name()
        if self.processes:
            import psutil

            names: set[str] = set()
            agents = load_agents()
            with contextlib.suppress(Exception):
                for p in psutil.process_iter(["name"]):
                    a = match_process(p.info.get("name") or "", agents)
                    if a is not None:
                        names.add(a.name)
            out["agents"] = sorted(names)
        return out


def network_label(state: dict[str, Any]) -> str:
    """The network in words: the Wi-Fi name, else the interface and gateway the API route takes."""
    if state.get("wifi"):
        return _("Wi-Fi {name}", name=state["wifi"])
    iface = (state.get("api_route") or {}).get("interface")
    gw = (state.get("default_route") or {}).get("ipv4") or (state.get("default_route") or {}).get("ipv6")
    if iface and gw:
        return _("{interface} via {gateway}", interface=iface, gateway=gw[0])
    return iface or _("no network")


def vpn_label(state: dict[str, Any]) -> str:
    names = sorted(set(state.get("vpn_adapters") or []) | set(state.get("agents") or []))
    return ", ".join(names) if names else _("no VPN")


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    """The parts whose change is a network change (not the time-varying ones)."""
    return {k: state.get(k) for k in ("interfaces", "default_route", "api_route", "vpn_adapters", "agents", "proxy",
                                      "wifi")}
