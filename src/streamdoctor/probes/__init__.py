"""All probes, in checklist order. Add a probe by appending an instance here; nothing else needs to know."""

from __future__ import annotations

from .base import Probe, ProbeContext, Progress, ProgressCallback, no_progress
from .stream import StreamProbe


def all_probes() -> list[Probe]:
    """Fresh probe instances (probes may keep per-run state)."""
    return [StreamProbe()]


def select(quick: bool) -> list[Probe]:
    return [p for p in all_probes() if p.quick or not quick]


__all__ = ["Probe", "ProbeContext", "Progress", "ProgressCallback", "all_probes", "no_progress", "select"]
