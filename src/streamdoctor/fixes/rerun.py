"""Verification by measurement: re-run the probes that found a problem, against the same target, and judge again.

Fixes never measure on their own; this is the one place they ask the probes. The context is rebuilt from the
report (target URL, the limits the stream probe used), so the re-run is comparable to the original check.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from ..cancel import CancelToken
from ..model import ProbeResult, Report, Verdict
from ..probes.base import ProbeContext


def context_from_report(report: Report) -> ProbeContext:
    target = report.target or {}
    ctx = ProbeContext(base_url=str(target.get("base_url") or "https://api.anthropic.com"),
                       ca_file=str(target.get("ca_file") or ""), lab_profile=str(target.get("lab_profile") or ""))
    from ..lab.isolation import lab_key, lab_run

    if ctx.lab_profile and not lab_run(ctx.lab_profile, ctx.base_url):
        ctx.lab_profile = ""  # a report claiming "lab" for a remote URL is a real run: no lab shortcuts
    key = os.environ.get("ANTHROPIC_API_KEY", "")
    ctx.api_key = lab_key(key) if ctx.lab_profile else key
    stream = report.result("stream")
    if stream is not None and isinstance(stream.data, dict):
        limits = stream.data.get("limits") or {}
        for name in ("first_byte_timeout_s", "stall_timeout_s", "connect_timeout_s"):
            if isinstance(limits.get(name), int | float):
                setattr(ctx, name, float(limits[name]))
        if isinstance(limits.get("slow_first_byte_s"), int | float):
            ctx.options["slow_first_byte_s"] = float(limits["slow_first_byte_s"])
        if stream.data.get("model"):
            ctx.model = str(stream.data["model"])
        if isinstance(stream.data.get("max_tokens"), int):
            ctx.max_tokens = stream.data["max_tokens"]
    return ctx


def rerun(report: Report, names: Iterable[str], cancel: CancelToken | None = None,
          ctx: ProbeContext | None = None) -> dict[str, ProbeResult]:
    """Run the named probes again (those that exist in this build); inputs they need come from the report."""
    from ..probes import all_probes
    from ..runner import run_probes

    ctx = ctx or context_from_report(report)
    wanted = list(names)
    probes = [p for p in all_probes() if p.name in wanted]
    ctx.results = {r.probe: r for r in report.results if r.probe not in wanted}
    return {r.probe: r for r in run_probes(probes, ctx, cancel=cancel or CancelToken())}


def verdict_after(report: Report, fresh: dict[str, ProbeResult]) -> Verdict:
    """The verdict over the report's results with the re-run ones replaced."""
    from ..diagnosis import diagnose

    merged = {r.probe: r for r in report.results}
    merged.update(fresh)
    return diagnose(merged.values(), str(report.target.get("base_url", "")))
