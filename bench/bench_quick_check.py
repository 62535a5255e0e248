"""Benchmark: `streamdoctor check --quick --json` against the loopback lab over TLS, target under 5 s.

Prints the wall time of the whole command (interpreter start, imports, the lab, every quick probe run
concurrently, diagnosis, JSON) and of the probes alone, each as a ratio to the 5 s target (< 1.0 is good).
Run: .venv/bin/python bench/bench_quick_check.py [--runs N] [--profile clean]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

TARGET_S = 5.0
NETWORK_PROBES = ("dns", "tcp", "tls", "clienthello", "http", "mtu")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", default="clean")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("https_proxy", "http_proxy", "all_proxy")}
    walls, probe_spans = [], []
    report: dict = {}
    for i in range(args.runs):
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "streamdoctor", "check", "--quick", "--json", "--lab",
                               args.profile], capture_output=True, text=True, timeout=120, env=env)
        wall = time.monotonic() - t0
        report = json.loads(proc.stdout)
        results = report["results"]
        start = min(r["started_at"] for r in results)
        end = max(r["started_at"] + r["duration_s"] for r in results)
        walls.append(wall)
        probe_spans.append(end - start)
        print(f"run {i + 1}: exit {proc.returncode}, command {wall:.2f} s, probes {end - start:.2f} s")
    print("\nper probe (last run):")
    for r in report["results"]:
        mark = "*" if r["probe"] in NETWORK_PROBES else " "
        print(f"  {mark} {r['probe']:<15} {r['status']:<8} {r['duration_s']:.2f} s")
    wall, span = statistics.median(walls), statistics.median(probe_spans)
    print(f"\ncheck --quick --json (median of {args.runs}): {wall:.2f} s  ratio to the {TARGET_S:.0f} s target: "
          f"{wall / TARGET_S:.2f}")
    print(f"probes alone (first start to last end):     {span:.2f} s  ratio: {span / TARGET_S:.2f}")
    for metric, value in (("check --quick wall time", wall), ("quick probes span", span)):
        print("BENCH " + json.dumps({"bench": "quick_check", "metric": metric, "value": round(value, 3), "unit": "s",
                                     "baseline": TARGET_S, "ratio": round(value / TARGET_S, 3),
                                     "target": f"< {TARGET_S:.0f} s", "ok": value < TARGET_S}))
    return 0 if wall < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
