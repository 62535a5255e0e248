"""The table of VPN clients and security agents (data/agents.json) and pure matching against it.

The names live in one data file so adding a vendor is a one-line change; this module only loads and matches.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources


@dataclass(frozen=True)
class Agent:
    name: str
    vendor: str
    kind: str  # "vpn" | "tls-inspection" | "security"
    adapters: tuple[re.Pattern[str], ...] = field(default=())
    processes: frozenset[str] = field(default=frozenset())
    weak: bool = False  # its adapters are also used by the OS itself: alone they prove nothing
    may_inspect_tls: bool = False


@functools.cache
def load_agents() -> tuple[Agent, ...]:
    text = resources.files("streamdoctor").joinpath("data/agents.json").read_text(encoding="utf-8")
    return parse_agents(text)


def parse_agents(text: str) -> tuple[Agent, ...]:
    data = json.loads(text)
    out = []
    for a in data["agents"]:
        out.append(Agent(
            name=a["name"], vendor=a.get("vendor", ""), kind=a["kind"],
            adapters=tuple(re.compile(p, re.IGNORECASE) for p in a.get("adapters", [])),
            processes=frozenset(_process_key(p) for p in a.get("processes", [])),
            weak=bool(a.get("weak", False)), may_inspect_tls=bool(a.get("may_inspect_tls", False)),
        ))
    return tuple(out)


def _process_key(name: str) -> str:
    name = name.strip().lower()
    return name[:-4] if name.endswith(".exe") else name


def match_adapter(name: str, agents: tuple[Agent, ...] | None = None) -> tuple[Agent, str] | None:
    """(agent, pattern) whose adapter pattern matches the whole interface name/description, or None."""
    for agent in agents if agents is not None else load_agents():
        for pattern in agent.adapters:
            if pattern.fullmatch(name.strip()):
                return agent, pattern.pattern
    return None


def match_process(name: str, agents: tuple[Agent, ...] | None = None) -> Agent | None:
    key = _process_key(name)
    for agent in agents if agents is not None else load_agents():
        if key in agent.processes:
            return agent
    return None
