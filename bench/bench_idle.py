"""Benchmark: the idle test's time to a verdict and its accuracy, against middleboxes with known cuts.

For several cut values, the lab's fault proxy (a real TCP middlebox on loopback) cuts silent connections with
an RST, a FIN, or a silent drop; the idle test runs with a 1-60 s ladder. Printed per case: the measured cut
and its error against the known one (target: within ±max(2 s, 10 %)), and the wall time from start to the
verdict against the budget 1.2 x cut + 5 s (the ladder is parallel, not a sequential search). The three
endings of one cut value run side by side.

(The netlab tests run the same measurement against real netfilter conntrack; their numbers are printed by
`pytest tests/netlab/test_idle_netlab.py` under "netlab measurements".)

    .venv/bin/python bench/bench_idle.py [--cuts 3,6,12,24]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from typing import Any

LADDER = {"idle_min_s": 1.0, "idle_max_s": 60.0}


def run_case(fault_name: str, cut: float, out: dict[str, Any]) -> None:
    from streamdoctor.cancel import CancelToken
    from streamdoctor.lab import LabRuntime
    from streamdoctor.lab.faultproxy import Fault, FaultSpec
    from streamdoctor.lab.profiles import LabProfile
    from streamdoctor.lab.server import ServerBehaviour
    from streamdoctor.probes.base import ProbeContext
    from streamdoctor.probes.idle import IdleProbe

    profile = LabProfile(f"bench-{fault_name}-{cut}", "", ServerBehaviour(), FaultSpec(Fault(fault_name), idle_s=cut))
    with LabRuntime(profile) as lab:
        ctx = ProbeContext(base_url=lab.url, options=dict(LADDER))
        t0 = time.monotonic()
        result = IdleProbe().run(ctx, lambda p: None, CancelToken())
        wall = time.monotonic() - t0
    d = result.data
    out.update(cut=cut, fault=fault_name, measured=d["cut_s"], ending=d["ending"], bracket=d["bracket"],
               verdict_s=d["time_to_verdict_s"], wall_s=wall, connections=len(d["connections"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cuts", default="3,6,12,24")
    args = ap.parse_args()
    cuts = [float(c) for c in args.cuts.split(",")]
    rows: list[dict[str, Any]] = []
    for cut in cuts:
        cases = [{} for _ in ("idle_reset", "idle_fin", "idle_drop")]
        threads = [threading.Thread(target=run_case, args=(f, cut, c))
                   for f, c in zip(("idle_reset", "idle_fin", "idle_drop"), cases, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rows.extend(cases)

    all_ok = True
    print(f"{'fault':<11} {'cut s':>6} {'measured':>9} {'error':>7} {'tol':>5} {'ending':<6} {'verdict s':>9} "
          f"{'budget s':>8} {'ratio':>6}")
    for r in rows:
        cut, measured = r["cut"], r.get("measured")
        tol = max(2.0, 0.1 * cut)
        budget = 1.2 * cut + 5
        err = None if measured is None else measured - cut
        ratio = None if r.get("verdict_s") is None else r["verdict_s"] / budget
        ok = err is not None and abs(err) <= tol and ratio is not None and ratio <= 1.0
        all_ok &= ok
        print(f"{r['fault']:<11} {cut:>6.1f} {measured if measured is not None else float('nan'):>9.2f} "
              f"{err if err is not None else float('nan'):>+7.2f} {tol:>5.1f} {str(r.get('ending')):<6} "
              f"{r.get('verdict_s') or float('nan'):>9.2f} {budget:>8.1f} {ratio or float('nan'):>6.2f}")
        print("BENCH " + json.dumps({
            "bench": "idle", "metric": f"{r['fault']}_cut_{cut:g}s_time_to_verdict", "value": r.get("verdict_s"),
            "unit": "s", "baseline": round(budget, 2), "ratio": None if ratio is None else round(ratio, 3),
            "target": "<= 1.2 x cut + 5 s, error <= max(2 s, 10 %)",
            "ok": ok, "measured_cut_s": measured, "error_s": None if err is None else round(err, 3)}))
    return 0 if all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
