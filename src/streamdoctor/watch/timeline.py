"""The watch's record as a timeline: one shape that both the report's SVG and the wizard's QPainter widget
draw, so they always show the same thing. Pure, no drawing here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .state import network_label, vpn_label


@dataclass
class Timeline:
    t0: float
    t1: float
    bands: list[tuple[float, float, str]] = field(default_factory=list)  # the network/VPN in effect
    cuts: list[tuple[float, str]] = field(default_factory=list)  # (time, ending)
    outages: list[tuple[float, float]] = field(default_factory=list)
    wakes: list[float] = field(default_factory=list)
    changes: list[float] = field(default_factory=list)
    unseen: list[tuple[float, float]] = field(default_factory=list)  # the watch was not running

    @property
    def span(self) -> float:
        return max(1.0, self.t1 - self.t0)


def band_label(state: dict[str, Any]) -> str:
    return f"{network_label(state)} · {vpn_label(state)}"


def build(events: list[dict[str, Any]], states: dict[Any, dict[str, Any]]) -> Timeline | None:
    ordered = sorted(events, key=lambda e: (e["t"], e["id"]))
    if not ordered:
        return None
    tl = Timeline(ordered[0]["t"], max(ordered[-1]["t"], ordered[0]["t"] + 1.0))
    states = {int(k): v for k, v in states.items()}
    current: tuple[float, str] | None = None
    down_since: float | None = None
    for i, e in enumerate(ordered):
        t, kind = e["t"], e["kind"]
        label = band_label(states.get(int(e.get("state_id") or -1), {}))
        if current is None or label != current[1] or kind == "start":
            if current is not None and current[0] < t:
                tl.bands.append((current[0], t, current[1]))
            current = (t, label)
        if kind in ("cut", "stream"):  # a real stream cut is a cut too
            tl.cuts.append((t, str(e.get("ending") or "")))
        elif kind == "outage":
            down_since = t
        elif kind == "recovered" and down_since is not None:
            tl.outages.append((down_since, t))
            down_since = None
        elif kind == "wake":
            tl.wakes.append(t)
        elif kind == "change":
            tl.changes.append(t)
        elif kind == "stop":
            nxt = ordered[i + 1]["t"] if i + 1 < len(ordered) else None
            if current is not None:
                tl.bands.append((current[0], t, current[1]))
                current = None
            if nxt is not None:
                tl.unseen.append((t, nxt))
    if current is not None and current[0] < tl.t1:
        tl.bands.append((current[0], tl.t1, current[1]))
    if down_since is not None:
        tl.outages.append((down_since, tl.t1))
    return tl


def axis_unit(span_s: float) -> tuple[float, str]:
    """(seconds per unit, unit name) so the axis reads in s, min or h."""
    if span_s > 3 * 3600:
        return 3600.0, "hours"
    if span_s > 180:
        return 60.0, "minutes"
    return 1.0, "seconds"
