"""Runs probes concurrently, each as soon as the probes it needs have finished.

Probes are I/O-bound (sockets, subprocesses), so one daemon thread per probe is the simplest correct design:
daemon threads never keep the process alive after a cancel, and the runner returns within ~1 s of a cancel
because it polls its own cancel token while it waits.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Sequence

from .cancel import CancelToken
from .errors import Cancelled, describe, error_kind
from .i18n import _
from .model import ProbeResult, Status
from .probes.base import Probe, ProbeContext, Progress, ProgressCallback, no_progress

log = logging.getLogger(__name__)

ResultCallback = Callable[[ProbeResult], None]
_POLL_S = 0.05


def run_probe(probe: Probe, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
    """Run one probe and always return a ProbeResult: an exception becomes status ERROR with its message."""
    started = time.time()
    t0 = time.monotonic()
    try:
        result = probe.run(ctx, progress, cancel)
    except Cancelled:
        result = ProbeResult(probe.name, Status.CANCELLED, _("Cancelled"))
    except Exception as exc:  # a probe bug must not take the whole check down; the log keeps the traceback
        log.exception("probe %s failed", probe.name)
        # errors.describe says which kind it was: an internal error or an unsupported client setting is never
        # worded (or judged: no data, so no rule reads it) as a verdict about the network.
        result = ProbeResult(probe.name, Status.ERROR, _("Could not test: {reason}", reason=describe(exc)),
                             {"error_kind": error_kind(exc)}, error=f"{type(exc).__name__}: {exc}"[:300])
    if cancel.cancelled and result.status not in (Status.OK, Status.WARN, Status.FAIL):
        result.status = Status.CANCELLED
    result.started_at = started
    result.duration_s = time.monotonic() - t0
    return result


def run_probes(
    probes: Sequence[Probe],
    ctx: ProbeContext,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    on_result: ResultCallback | None = None,
) -> list[ProbeResult]:
    """Run `probes`, respecting `needs`; returns results in the order of `probes`.

    A probe whose needs include a probe not in the list runs without that input (it must cope). A cancel marks
    every unfinished probe CANCELLED and returns within about a second.
    """
    cancel = cancel or CancelToken()
    names = {p.name for p in probes}
    pending = {p.name: p for p in probes}
    done: dict[str, ProbeResult] = {}
    lock = threading.Lock()
    finished = threading.Event()
    running: set[str] = set()

    def worker(probe: Probe) -> None:
        result = run_probe(probe, ctx, progress, cancel)
        with lock:
            done[probe.name] = result
            running.discard(probe.name)
        if on_result is not None:
            try:
                on_result(result)
            except Exception:
                log.exception("result callback failed for %s", probe.name)
        finished.set()

    while pending or running:
        if cancel.cancelled:
            break
        with lock:
            ready = [
                p for p in pending.values() if all(n in done or n not in names for n in p.needs)
            ]
            for p in ready:
                del pending[p.name]
                running.add(p.name)
                ctx.results.update(done)
        for p in ready:
            progress(Progress(p.name, 0.0, _("starting")))
            # Each probe thread runs in a copy of the caller's context, so a language chosen for this run with
            # i18n.using() holds in the probes' texts too (a new thread would otherwise start without it).
            context = contextvars.copy_context()
            threading.Thread(target=context.run, args=(worker, p), name=f"probe-{p.name}", daemon=True).start()
        finished.wait(_POLL_S)
        finished.clear()

    if cancel.cancelled:
        # Give probes a moment to notice (their sockets were closed by the token), then report the rest.
        deadline = time.monotonic() + 0.5
        while running and time.monotonic() < deadline:
            finished.wait(_POLL_S)
            finished.clear()
    with lock:
        snapshot = dict(done)
    ordered = []
    for p in probes:
        result = snapshot.get(p.name) or ProbeResult(p.name, Status.CANCELLED, _("Cancelled"))
        ordered.append(result)
    ctx.results.update(snapshot)
    return ordered
