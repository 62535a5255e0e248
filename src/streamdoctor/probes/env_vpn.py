"""Probe "env.vpn": VPN clients and security agents on this machine, and whether the API traffic goes
through a tunnel (full tunnel) or past it (split tunnel).

Evidence comes from two places, matched against one table (data/agents.json): interface names (cscotun0,
PANGP..., utun3) and running process names (only names are read, with a bound on time and count). A tunnel
adapter with no agent process, or two tunnels up at once, is reported too: both are classic sources of
strange drops (a stale tunnel left by a crashed client, two VPNs fighting over routes).
"""

from __future__ import annotations

import time
from typing import Any

import psutil

from ..cancel import CancelToken
from ..i18n import N_, _
from ..model import Evidence, ProbeResult, Status
from ..platform.agents import Agent, load_agents, match_process
from .base import ProbeContext, Progress, ProgressCallback, Stopwatch
from .env_interfaces import default_gateways, internet_route, list_interfaces

MAX_PROCESSES = 20_000
PROCESS_SCAN_BUDGET_S = 1.0


def running_agents(
    budget_s: float = PROCESS_SCAN_BUDGET_S,
) -> tuple[dict[str, tuple[Agent, list[str]]], dict[str, Any]]:
    """{agent name: (agent, process names seen)} plus scan facts (count, complete, error). Reads names only."""
    found: dict[str, tuple[Agent, list[str]]] = {}
    facts: dict[str, Any] = {"processes_seen": 0, "complete": True, "error": None}
    deadline = time.monotonic() + budget_s
    try:
        for proc in psutil.process_iter(["name"]):
            facts["processes_seen"] += 1
            if facts["processes_seen"] > MAX_PROCESSES or time.monotonic() > deadline:
                facts["complete"] = False
                break
            name = (proc.info.get("name") or "").strip()
            agent = match_process(name) if name else None
            if agent is not None:
                names = found.setdefault(agent.name, (agent, []))[1]
                if name not in names:
                    names.append(name)
    except Exception as exc:  # access denied on some systems: report what was seen so far
        facts["complete"] = False
        facts["error"] = f"could not read: the process list ({exc})"
    return found, facts


def analyse(interfaces: list[dict[str, Any]], route: dict[str, Any] | None, gateways: dict[str, Any],
            processes: dict[str, tuple[Agent, list[str]]], internet_interface: str | None = None) -> dict[str, Any]:
    """Combine adapters, processes and the API route into the env.vpn data (pure: tested without a system)."""
    agents: dict[str, dict[str, Any]] = {}
    running_vpn = {name for name, (agent, _) in processes.items() if agent.kind in ("vpn", "tls-inspection")}
    for name, (agent, procs) in processes.items():
        agents[name] = {"name": name, "vendor": agent.vendor, "kind": agent.kind,
                        "may_inspect_tls": agent.may_inspect_tls or agent.kind == "tls-inspection",
                        "evidence": f"process {', '.join(procs)} is running", "processes": procs, "interfaces": []}
    tunnels = []
    for iface in interfaces:
        match = iface.get("vpn_match")
        if not match:
            continue
        if match["weak"] and not running_vpn:
            continue  # utun* alone proves nothing: the OS makes them too
        tunnels.append(iface)
        entry = agents.get(match["agent"])
        if entry is None:
            known = next((a for a in load_agents() if a.name == match["agent"]), None)
            entry = agents[match["agent"]] = {
                "name": match["agent"], "vendor": known.vendor if known else "",
                "kind": known.kind if known else "vpn",
                "may_inspect_tls": bool(known and (known.may_inspect_tls or known.kind == "tls-inspection")),
                "evidence": "", "processes": [], "interfaces": []}
        entry["interfaces"].append(iface["name"])
        state = "up" if iface.get("up") else "down"
        adapter_text = f"interface {iface['name']} ({state}) matches {match['pattern']}"
        entry["evidence"] = f"{entry['evidence']}; {adapter_text}" if entry["evidence"] else adapter_text

    up_tunnels = [t for t in tunnels if t.get("up")]
    route_iface = (route or {}).get("interface")
    tunnel_names = {t["name"] for t in up_tunnels}
    api_via_tunnel: bool | None
    if not route_iface:
        api_via_tunnel = None
    else:
        api_via_tunnel = route_iface in tunnel_names
    default_ifaces = {g.get("interface") for g in gateways.values()} if gateways else set()
    if internet_interface:  # where the kernel sends ordinary internet traffic: the most direct evidence
        default_ifaces = {internet_interface}
    default_via_tunnel = bool(default_ifaces & tunnel_names) if default_ifaces else None
    notes = []
    if len(up_tunnels) > 1:
        notes.append(_("{count} tunnels are up at once ({names}): two VPN clients can fight over routes and MTU.",
                       count=len(up_tunnels), names=", ".join(sorted(tunnel_names))))
    for t in tunnels:
        match = t["vpn_match"]
        agent_entry = agents.get(match["agent"], {})
        if not match["weak"] and t.get("up") and not agent_entry.get("processes") and not running_vpn:
            notes.append(_("Tunnel {name} is up but no VPN client process is running: it may be left over from a "
                           "client that crashed or was uninstalled.", name=t["name"]))
    if api_via_tunnel:
        mode = "full" if default_via_tunnel else "split (the API is one of the tunnelled routes)"
    elif up_tunnels and api_via_tunnel is False:
        mode = "split (the API goes past the tunnel)"
    else:
        mode = None
    tunnel_interface = route_iface if api_via_tunnel else (up_tunnels[0]["name"] if up_tunnels else None)
    tunnel_mtu = next((t.get("mtu") for t in interfaces if t.get("name") == tunnel_interface), None)
    return {
        "agents": list(agents.values()),
        "api_via_tunnel": api_via_tunnel,
        "tunnel_interface": tunnel_interface,
        "tunnel_mtu": tunnel_mtu,
        "tunnels_up": sorted(tunnel_names),
        "default_via_tunnel": default_via_tunnel,
        "tunnel_mode": mode,
        "route_interface": route_iface,
        "notes": notes,
    }


class EnvVpnProbe:
    name = "env.vpn"
    title = N_("VPN and security agents")
    needs: tuple[str, ...] = ("env.interfaces",)
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        clock = Stopwatch()
        progress(Progress(self.name, 0.1, _("looking for VPN clients and security agents")))
        scan = ctx.results.get("env.interfaces")
        if scan is not None and scan.data.get("interfaces"):
            interfaces, route = scan.data["interfaces"], scan.data.get("route")
            gateways = scan.data.get("gateways") or {}
            internet = (scan.data.get("internet_route") or {}).get("interface")
        else:  # run without the interface probe: adapters still count, the route stays unknown
            interfaces, route = list_interfaces(), None
            gateways, _unused = default_gateways()
            internet = internet_route(interfaces).get("interface")
        cancel.raise_if_cancelled()
        processes, facts = running_agents()
        data = analyse(interfaces, route, gateways, processes, internet)
        data["process_scan"] = facts
        data["raw"] = {"matched processes": "\n".join(f"{name}: {', '.join(p)}" for name, (_, p) in
                                                      processes.items()) or "(none)",
                       "process scan": f"{facts['processes_seen']} processes, complete={facts['complete']}"
                                       + (f", {facts['error']}" if facts["error"] else "")}
        names = [a["name"] for a in data["agents"]]
        if not names:
            summary: str = _("No VPN client or security agent found.")
        elif data["api_via_tunnel"]:
            summary = _("Found {names}. API traffic goes through the tunnel {tunnel}.", names=", ".join(names),
                        tunnel=data["tunnel_interface"])
        elif data["api_via_tunnel"] is False and data["tunnels_up"]:
            summary = _("Found {names}. API traffic goes past the tunnel (split tunnel).", names=", ".join(names))
        else:
            summary = _("Found {names}.", names=", ".join(names))
        evidence = [Evidence(a["name"], a["kind"], raw=a["evidence"]) for a in data["agents"]]
        answer = {True: _("yes"), False: _("no"), None: _("unknown")}[data["api_via_tunnel"]]
        evidence.append(Evidence(_("API traffic through a tunnel"), answer,
                                 raw=f"route interface {data['route_interface']}"))
        progress(Progress(self.name, 1.0, _("done")))
        return ProbeResult(self.name, Status.OK, summary, data=data, evidence=evidence, duration_s=clock())
