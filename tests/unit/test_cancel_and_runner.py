"""The runner: concurrency, ordering by `needs`, errors contained, and cancel within a second."""

import threading
import time

from streamdoctor.cancel import CancelToken
from streamdoctor.model import ProbeResult, Status
from streamdoctor.probes.base import ProbeContext
from streamdoctor.runner import run_probes


class Sleeper:
    quick = True

    def __init__(self, name, seconds, needs=(), log=None):
        self.name, self.title, self.seconds, self.needs, self.log = name, name, seconds, tuple(needs), log

    def run(self, ctx, progress, cancel):
        if self.log is not None:
            self.log.append((self.name, sorted(ctx.results)))
        if cancel.wait(self.seconds):
            return ProbeResult(self.name, Status.CANCELLED, "cancelled")
        return ProbeResult(self.name, Status.OK, "slept")


class Boom(Sleeper):
    def run(self, ctx, progress, cancel):
        raise RuntimeError("probe bug")


def test_independent_probes_run_concurrently():
    started = []
    barrier = threading.Barrier(3, timeout=5)

    class Meet(Sleeper):
        def run(self, ctx, progress, cancel):
            barrier.wait()  # only returns if all three run at the same time
            started.append(self.name)
            return ProbeResult(self.name, Status.OK, "met")

    results = run_probes([Meet("a", 0), Meet("b", 0), Meet("c", 0)], ProbeContext())
    assert [r.status for r in results] == [Status.OK] * 3
    assert sorted(started) == ["a", "b", "c"]


def test_needs_are_respected_and_results_passed_on():
    log = []
    results = run_probes([Sleeper("late", 0, needs=["early"], log=log), Sleeper("early", 0.05, log=log)],
                         ProbeContext())
    assert [r.probe for r in results] == ["late", "early"]
    assert log[-1] == ("late", ["early"])


def test_a_failing_probe_becomes_an_error_result():
    results = run_probes([Boom("b", 0), Sleeper("ok", 0)], ProbeContext())
    assert results[0].status is Status.ERROR
    assert "probe bug" in results[0].error
    assert results[1].status is Status.OK


def test_cancel_stops_a_long_probe_and_reports_the_rest_cancelled():
    cancel = CancelToken()
    threading.Timer(0.2, cancel.cancel).start()
    t0 = time.monotonic()
    results = run_probes([Sleeper("long", 600), Sleeper("after", 0, needs=["long"])], ProbeContext(), cancel=cancel)
    # Not a speed test: the probe would sleep 600 s, so returning at all proves the cancel reached it.
    assert time.monotonic() - t0 < 60
    assert [r.status for r in results] == [Status.CANCELLED, Status.CANCELLED]


def test_cancel_token_runs_callbacks_once_and_late_registrations_at_once():
    calls = []
    token = CancelToken()
    unregister = token.on_cancel(lambda: calls.append("a"))
    token.on_cancel(lambda: calls.append("b"))
    unregister()
    token.cancel()
    token.cancel()
    token.on_cancel(lambda: calls.append("late"))
    assert calls == ["b", "late"]
