"""What the installed Claude Code version does with the network, from data/claude_code.json.

Claude Code changes its timeouts, watchdogs, retries and trust store almost every week, so advice that names a
variable is only right for some versions: a variable that a version does not read changes nothing, a value
below a floor is raised, some watchdogs run only against api.anthropic.com. Rules and fixes ask this module
instead of hard-coding a version's behaviour; the data file cites the changelog entry or the inspected code for
every fact. A version we cannot read (None) gets the answer "unknown", never a guess dressed as a fact.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .i18n import Msg, _

Version = tuple[int, ...]
FIRST_PARTY_HOST = "api.anthropic.com"


def parse_version(text: str | None) -> Version | None:
    """(2, 1, 197) from '2.1.197', '2.1.197 (Claude Code)' or 'v2.1.197'; None when there is no version."""
    if not text:
        return None
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", str(text))
    return tuple(int(x) for x in m.groups()) if m else None


def fmt(v: Version) -> str:
    return ".".join(str(x) for x in v)


@dataclass(frozen=True)
class Phase:
    """How one version range treats one variable (since inclusive, until exclusive)."""

    name: str
    since: Version
    until: Version | None
    default: Any
    min: int | None
    max: int | None
    scope: str  # all | first-party | native | node | vertex-foundry
    note: str
    source: str

    def covers(self, v: Version) -> bool:
        return v >= self.since and (self.until is None or v < self.until)


@dataclass(frozen=True)
class Bug:
    id: str
    since: Version
    until: Version  # the version that fixed it
    errors: tuple[str, ...]
    symptom: str
    source: str
    gateway_only: bool

    @property
    def fixed_in(self) -> str:
        return fmt(self.until)


@dataclass(frozen=True)
class Facts:
    variables: dict[str, tuple[Phase, ...]]
    side_effects: dict[str, str]
    what: dict[str, str]
    trust: tuple[tuple[Version, str, str, str], ...]
    bugs: tuple[Bug, ...]
    native_since: Version
    inspected: tuple[str, ...]


def _v(text: str) -> Version:
    v = parse_version(text)
    if v is None:
        raise ValueError(f"data/claude_code.json: bad version {text!r}")
    return v


@functools.cache
def facts() -> Facts:
    """The table, loaded and checked once (a malformed data file is a build error, raised here)."""
    raw = json.loads(resources.files("streamdoctor").joinpath("data/claude_code.json").read_text("utf-8"))
    if raw.get("schema") != 1:
        raise ValueError("data/claude_code.json: unknown schema")
    variables: dict[str, tuple[Phase, ...]] = {}
    for name, spec in raw["variables"].items():
        phases = []
        for p in spec["phases"]:
            if not p.get("source"):
                raise ValueError(f"data/claude_code.json: {name} phase without a source")
            phases.append(Phase(name, _v(p["since"]), _v(p["until"]) if p.get("until") else None, p.get("default"),
                                p.get("min"), p.get("max"), p.get("scope", "all"), p.get("note", ""), p["source"]))
        variables[name] = tuple(sorted(phases, key=lambda ph: ph.since))
    bugs = tuple(Bug(b["id"], _v(b.get("since", "0.0.0")), _v(b["until"]), tuple(b.get("errors", ())), b["symptom"],
                     b["source"], bool(b.get("gateway_only"))) for b in raw["bugs"])
    trust = tuple((_v(t["since"]), t["stores"], t["note"], t["source"]) for t in raw["trust_store"])
    return Facts(variables, {k: v["side_effects"] for k, v in raw["variables"].items() if v.get("side_effects")},
                 {k: v.get("what", "") for k, v in raw["variables"].items()}, trust, bugs,
                 _v(raw["native_since"]), tuple(raw["inspected_versions"]))


def phase(name: str, version: Version | None) -> Phase | None:
    """How `version` treats `name`; None when that version does not read it (or the version is unknown and the
    newest known phase is returned instead: callers check `version is None` to word it as a condition)."""
    phases = facts().variables.get(name, ())
    if version is None:
        return phases[-1] if phases else None
    for ph in reversed(phases):
        if ph.covers(version):
            return ph
    return None


def reads(name: str, version: Version | None) -> bool | None:
    """True/False whether `version` reads `name`; None when the version is unknown or the name not in the table."""
    if version is None or name not in facts().variables:
        return None
    ph = phase(name, version)
    return ph is not None and not (ph.scope == "native" and not is_native(version)) \
        and not (ph.scope == "node" and is_native(version))


def is_native(version: Version | None) -> bool | None:
    """Whether `version` is a native (Bun) build when installed from npm (ignores NODE_OPTIONS)."""
    if version is None:
        return None
    return version >= facts().native_since


def first_version(name: str) -> str | None:
    phases = facts().variables.get(name, ())
    return fmt(phases[0].since) if phases and phases[0].since > (0, 0, 0) else None


def effective_ms(name: str, version: Version | None, value: int) -> tuple[int, Msg | str]:
    """The value `version` really uses for `name` = value, and a sentence when it differs (clamped)."""
    ph = phase(name, version)
    if ph is None:
        return value, ""
    eff = value
    if ph.min is not None and eff < ph.min:
        eff = ph.min
    if ph.max is not None and eff > ph.max:
        eff = ph.max
    if eff == value:
        return value, ""
    # {source} cites the changelog entry or the inspected code (data/claude_code.json): quoted as it is
    if eff > value:
        return eff, _("Claude Code raises {name}={value} to {effective} ({source}).", name=name, value=value,
                      effective=eff, source=ph.source)
    return eff, _("Claude Code lowers {name}={value} to {effective} ({source}).", name=name, value=value,
                  effective=eff, source=ph.source)


def trust_store(version: Version | None) -> tuple[str, str, str] | None:
    """(stores, what it means, source) for `version`; None when the version is unknown."""
    if version is None:
        return None
    for since, stores, note, source in reversed(facts().trust):
        if version >= since:
            return stores, note, source
    return None


def os_store_trusted(version: Version | None) -> bool | None:
    ts = trust_store(version)
    return None if ts is None else "system" in ts[0]


def known_bugs(version: Version | None, error_id: str | None = None, gateway: bool | None = None) -> list[Bug]:
    """Network bugs of `version` (fixed later), optionally only those behind `error_id`; [] when unknown."""
    if version is None:
        return []
    out = []
    for b in facts().bugs:
        if not (b.since <= version < b.until):
            continue
        if error_id is not None and error_id not in b.errors:
            continue
        if b.gateway_only and gateway is False:
            continue
        out.append(b)
    return out


def is_first_party(base_url: str | None) -> bool:
    """Whether Claude Code talks to api.anthropic.com itself (no ANTHROPIC_BASE_URL, or that host)."""
    if not base_url:
        return True
    m = re.match(r"^[a-z]+://([^/:]+)", base_url.strip(), re.I)
    return bool(m and m.group(1).lower() == FIRST_PARTY_HOST)


def applies_here(name: str, version: Version | None, base_url: str | None) -> bool | None:
    """Whether setting `name` has any effect for this version and this API host (first-party-only watchdogs)."""
    r = reads(name, version)
    if not r:
        return r
    ph = phase(name, version)
    return not (ph is not None and ph.scope == "first-party" and not is_first_party(base_url))
