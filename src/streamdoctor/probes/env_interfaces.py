"""Probe "env.interfaces": the network interfaces, the default gateways, and the interface that carries
traffic to the API host with its MTU.

Which interface reaches the host is asked of the kernel without sending a packet: a UDP socket connect()
only picks a route, and getsockname() then shows the local address, which belongs to exactly one interface.
The host name is resolved with a bounded wait (getaddrinfo has no timeout: it runs in a daemon thread that is
abandoned after RESOLVE_TIMEOUT_S). With --lab the host is loopback, so nothing leaves the machine.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any

import psutil

from ..cancel import CancelToken
from ..i18n import N_, _, ngettext
from ..model import Evidence, ProbeResult, Status
from ..platform import current
from ..platform.agents import match_adapter
from .base import ProbeContext, Progress, ProgressCallback, Stopwatch

RESOLVE_TIMEOUT_S = 1.0
ROUTE_TIMEOUT_S = 1.0


def resolve_bounded(
    host: str, port: int, timeout_s: float = RESOLVE_TIMEOUT_S
) -> tuple[list[tuple[int, str]], str | None]:
    """[(family, address)] in the order clients try them, or ([], 'why'). IP literals need no lookup."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
        return [(socket.AF_INET6 if ip.version == 6 else socket.AF_INET, str(ip))], None
    except ValueError:
        pass
    box: dict[str, Any] = {}

    def lookup() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            box["error"] = f"{host} could not be resolved ({exc})"

    worker = threading.Thread(target=lookup, name="env-resolve", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if "infos" not in box:
        return [], box.get("error") or f"{host} was not resolved within {timeout_s:g} s"
    out: list[tuple[int, str]] = []
    for family, _type, _proto, _name, sockaddr in box["infos"]:
        entry = (int(family), str(sockaddr[0]))
        if entry not in out:
            out.append(entry)
    return out, None


def local_address_for(family: int, address: str, port: int) -> tuple[str | None, str | None]:
    """The local address the kernel would send from to reach `address` (UDP connect: no packet is sent)."""
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((address, port))
            return str(sock.getsockname()[0]), None
    except OSError as exc:
        return None, f"no route to {address} ({exc.strerror or exc})"


def list_interfaces() -> list[dict[str, Any]]:
    """Every interface with its state, MTU, speed, addresses and whether its name says VPN."""
    try:
        addrs = psutil.net_if_addrs()
        stats = psutil.net_if_stats()
    except Exception as exc:  # psutil can fail in odd sandboxes; the scan goes on without the list
        return [{"name": "?", "up": False, "mtu": None, "addresses": [], "is_vpn": False,
                 "error": f"could not read: {exc}"}]
    try:
        descriptions = current().adapters.descriptions()
    except Exception:  # a registry oddity must not hide the interfaces
        descriptions = {}
    out = []
    for name in sorted(set(addrs) | set(stats)):
        st = stats.get(name)
        entry: dict[str, Any] = {
            "name": name, "up": bool(st.isup) if st else False, "mtu": (st.mtu or None) if st else None,
            "speed_mbps": (st.speed or None) if st else None, "addresses": [], "networks": [], "mac": None,
            "is_vpn": False, "vpn_match": None, "description": descriptions.get(name),
        }
        for a in addrs.get(name, []):
            if a.family in (socket.AF_INET, socket.AF_INET6):
                address = a.address.split("%", 1)[0]
                entry["addresses"].append(address)
                if a.netmask:
                    try:
                        net = ipaddress.ip_network(f"{address}/{a.netmask.split('/')[0]}", strict=False)
                        entry["networks"].append(str(net))
                    except ValueError:
                        pass
            elif a.family == psutil.AF_LINK:
                entry["mac"] = a.address
        matched = match_adapter(name) or (match_adapter(descriptions[name]) if descriptions.get(name) else None)
        if matched is not None:
            agent, pattern = matched
            entry["vpn_match"] = {"agent": agent.name, "pattern": pattern, "weak": agent.weak}
            entry["is_vpn"] = agent.kind in ("vpn", "tls-inspection") and not agent.weak
        out.append(entry)
    return out


def default_gateways() -> tuple[dict[str, dict[str, str]], str | None]:
    """{"ipv4": {"gateway", "interface"}, "ipv6": {...}} from netifaces (the netifaces-plus wheel)."""
    try:
        import netifaces

        everything: Any = netifaces.gateways()
        gws = everything.get("default", {})
    except Exception as exc:
        return {}, f"could not read: {exc}"
    out = {}
    for family, key in ((socket.AF_INET, "ipv4"), (socket.AF_INET6, "ipv6")):
        gw = gws.get(int(family))
        if gw:
            out[key] = {"gateway": str(gw[0]), "interface": str(gw[1])}
    return out, None


def interface_of(local_address: str, interfaces: list[dict[str, Any]]) -> dict[str, Any] | None:
    bare = local_address.split("%", 1)[0]
    return next((i for i in interfaces if bare in i["addresses"]), None)


def find_route(host: str, port: int, interfaces: list[dict[str, Any]], gateways: dict[str, dict[str, str]],
               raw: dict[str, str]) -> dict[str, Any]:
    route: dict[str, Any] = {"host": host, "resolved": [], "remote_address": None, "family": None,
                             "local_address": None, "interface": None, "mtu": None, "interface_mtu": None,
                             "route_mtu": None, "gateway": None, "assumed": None, "other_family": None,
                             "error": None}
    resolved, error = resolve_bounded(host, port)
    route["resolved"] = [a for _, a in resolved]
    if not resolved:
        route["error"] = f"could not read: {error}"
        # The name did not resolve (no DNS, captive portal...): traffic would still leave by the default
        # route, so report that interface, marked as assumed.
        default = gateways.get("ipv4") or gateways.get("ipv6")
        iface = next((i for i in interfaces if default and i["name"] == default["interface"]), None)
        if default and iface is not None:
            route.update(interface=iface["name"], mtu=iface["mtu"], interface_mtu=iface["mtu"],
                         gateway=default["gateway"], family="ipv4" if "ipv4" in gateways else "ipv6",
                         local_address=next(iter(iface["addresses"]), None),
                         assumed="the default route (the API host name did not resolve)")
        return route
    errors = []
    for family, address in resolved:  # the first address that has a route is the one clients use
        local, why = local_address_for(family, address, port)
        if local is None:
            errors.append(why)
            continue
        fam = "ipv6" if family == socket.AF_INET6 else "ipv4"
        route.update(remote_address=address, family=fam, local_address=local)
        iface = interface_of(local, interfaces)
        if iface is not None:
            route.update(interface=iface["name"], interface_mtu=iface["mtu"], mtu=iface["mtu"])
        os_route, os_raw = current().routes.route_to(address, ROUTE_TIMEOUT_S)
        raw[f"route to {address}"] = os_raw
        if os_route is not None:
            route["gateway"] = os_route.gateway
            route["interface"] = route["interface"] or os_route.interface
            if os_route.mtu:
                route["route_mtu"] = os_route.mtu
                route["mtu"] = min(os_route.mtu, route["mtu"] or os_route.mtu)
        elif gateways.get(fam, {}).get("interface") == route["interface"]:
            route["gateway"] = gateways[fam]["gateway"]
        route["other_family"] = _other_family(family, resolved, port, interfaces)
        return route
    route["error"] = f"could not read: {'; '.join(e for e in errors if e)}"
    return route


# Documentation addresses (RFC 5737 / RFC 3849): no host answers there and no packet is sent, but the kernel
# routes them like any internet address, so they show where "everything else" goes (full vs split tunnel,
# including OpenVPN's 0.0.0.0/1 + 128.0.0.0/1 routes that netifaces does not report as a default gateway).
INTERNET_SAMPLES = ((socket.AF_INET, "203.0.113.1"), (socket.AF_INET6, "2001:db8::1"))


def internet_route(interfaces: list[dict[str, Any]]) -> dict[str, Any]:
    """Which interface ordinary internet traffic leaves by (asked of the kernel, nothing sent)."""
    for family, address in INTERNET_SAMPLES:
        local, _unused = local_address_for(family, address, 443)
        if local is None:
            continue
        iface = interface_of(local, interfaces)
        return {"sample": address, "local_address": local, "interface": iface["name"] if iface else None}
    return {"sample": None, "local_address": None, "interface": None}


def _other_family(used: int, resolved: list[tuple[int, str]], port: int,
                  interfaces: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The route of the family clients did not pick first (IPv6 vs IPv4): a fallback can take another path."""
    for family, address in resolved:
        if family == used:
            continue
        local, why = local_address_for(family, address, port)
        iface = interface_of(local, interfaces) if local else None
        return {"family": "ipv6" if family == socket.AF_INET6 else "ipv4", "remote_address": address,
                "local_address": local, "interface": iface["name"] if iface else None, "error": why}
    return None


def scan_interfaces(host: str, port: int) -> dict[str, Any]:
    interfaces = list_interfaces()
    gateways, gw_error = default_gateways()
    raw: dict[str, str] = {}
    route = find_route(host, port, interfaces, gateways, raw)
    internet = internet_route(interfaces)
    raw["interfaces"] = "\n".join(
        f"{i['name']}: {'up' if i['up'] else 'down'} mtu {i['mtu']} {' '.join(i['addresses'])}" for i in interfaces)
    raw["default gateways"] = "\n".join(f"{k}: {v['gateway']} dev {v['interface']}" for k, v in gateways.items()) \
        or (gw_error or "(none)")
    return {"interfaces": interfaces, "gateways": gateways, "route": route, "internet_route": internet, "raw": raw}


class EnvInterfacesProbe:
    name = "env.interfaces"
    title = N_("Network interfaces")
    needs: tuple[str, ...] = ()
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        clock = Stopwatch()
        progress(Progress(self.name, 0.1, _("finding the way to {host}", host=ctx.host)))
        data = scan_interfaces(ctx.host, ctx.port)
        route = data["route"]
        up = [i for i in data["interfaces"] if i["up"]]
        if route["interface"]:
            # One whole sentence per variant (with or without a gateway), so each translates on its own.
            words = {"host": ctx.host, "interface": route["interface"], "local": route["local_address"],
                     "gateway": route["gateway"], "mtu": route["mtu"]}
            if route["gateway"]:
                summary = _("Traffic to {host} leaves by {interface} ({local}) via {gateway}, MTU {mtu}.", **words)
            else:
                summary = _("Traffic to {host} leaves by {interface} ({local}), MTU {mtu}.", **words)
            if route.get("assumed"):
                summary = _("{sentence} (Assumed: {host} did not resolve.)", sentence=summary, host=ctx.host)
        else:
            summary = _("Could not tell which interface reaches {host}: {error}.", host=ctx.host, error=route["error"])
        summary = _("{sentence} {count}", sentence=summary,
                    count=ngettext("{n} interface up.", "{n} interfaces up.", len(up)))
        evidence = [
            Evidence(_("Interface to the API"), route["interface"] or _("unknown"), raw=route.get("error") or ""),
            Evidence(_("Its MTU"), route["mtu"] if route["mtu"] is not None else _("unknown"),
                     _("bytes") if route["mtu"] is not None else ""),
            Evidence(_("Gateway"), route["gateway"] or _("none/unknown")),
            Evidence(_("API address"), route["remote_address"] or _("not resolved"), raw=", ".join(route["resolved"])),
        ]
        for i in data["interfaces"]:
            if i["vpn_match"]:
                evidence.append(Evidence(_("Tunnel-like interface {name}", name=i["name"]),
                                         _("up") if i["up"] else _("down"),
                                         raw=f"matches {i['vpn_match']['pattern']} ({i['vpn_match']['agent']})"))
        progress(Progress(self.name, 1.0, _("done")))
        return ProbeResult(self.name, Status.OK, summary, data=data, evidence=evidence, duration_s=clock())
