"""Benchmark: the environment scan (env.interfaces, env.vpn, env.proxy, env.clients) against its 2 s target.

Prints, for a cold run (a fresh interpreter: imports, first process scan, interpreter probes) and for warm
runs in one process, the wall time, the slowest probe, and the ratio to the 2 s target. As a baseline on the
same machine in the same run it also times a bare `python -c pass` start, so a loaded machine shows as such.

    .venv/bin/python bench/bench_env_scan.py [--runs N] [--base-url URL]

The default target is loopback (like --lab: nothing is resolved or sent). With --base-url the scan resolves
that host (bounded to ~1 s) and asks the kernel for its route; it still sends nothing to it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

TARGET_S = 2.0

COLD = r"""
import json, sys, time
t0 = time.monotonic()
from streamdoctor.cancel import CancelToken
from streamdoctor.probes import ProbeContext, no_progress
from streamdoctor.probes.env_clients import EnvClientsProbe
from streamdoctor.probes.env_interfaces import EnvInterfacesProbe
from streamdoctor.probes.env_proxy import EnvProxyProbe
from streamdoctor.probes.env_vpn import EnvVpnProbe
from streamdoctor.runner import run_probes
t1 = time.monotonic()
probes = [EnvInterfacesProbe(), EnvVpnProbe(), EnvProxyProbe(), EnvClientsProbe()]
results = run_probes(probes, ProbeContext(base_url=sys.argv[1]), no_progress, CancelToken())
t2 = time.monotonic()
print(json.dumps({"import_s": t1 - t0, "scan_s": t2 - t1, "probes": {r.probe: r.duration_s for r in results}}))
"""


def warm_scan(base_url: str) -> tuple[float, dict[str, float]]:
    from streamdoctor.cancel import CancelToken
    from streamdoctor.probes import ProbeContext, no_progress
    from streamdoctor.probes.env_clients import EnvClientsProbe
    from streamdoctor.probes.env_interfaces import EnvInterfacesProbe
    from streamdoctor.probes.env_proxy import EnvProxyProbe
    from streamdoctor.probes.env_vpn import EnvVpnProbe
    from streamdoctor.runner import run_probes

    probes = [EnvInterfacesProbe(), EnvVpnProbe(), EnvProxyProbe(), EnvClientsProbe()]
    t0 = time.monotonic()
    results = run_probes(probes, ProbeContext(base_url=base_url), no_progress, CancelToken())
    return time.monotonic() - t0, {r.probe: r.duration_s for r in results}


def bare_start() -> float:
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.monotonic() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base-url", default="http://127.0.0.1:9")
    args = parser.parse_args()

    baseline = statistics.median(bare_start() for _ in range(3))
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", COLD, args.base_url], capture_output=True, text=True, check=True)
    cold_wall = time.monotonic() - t0
    cold = json.loads(proc.stdout)
    warm = [warm_scan(args.base_url) for _ in range(max(1, args.runs))]
    warm_times = [w[0] for w in warm]
    median = statistics.median(warm_times)
    slowest = max(warm[-1][1].items(), key=lambda kv: kv[1])

    print(f"environment scan of {args.base_url} (target {TARGET_S:.1f} s)")
    print(f"  baseline: bare python start            {baseline * 1000:7.0f} ms")
    print(f"  cold: process wall (start+import+scan) {cold_wall * 1000:7.0f} ms   ratio to target "
          f"{cold_wall / TARGET_S:.2f}")
    print(f"  cold: scan only                        {cold['scan_s'] * 1000:7.0f} ms   ratio to target "
          f"{cold['scan_s'] / TARGET_S:.2f}   (imports {cold['import_s'] * 1000:.0f} ms)")
    print(f"  warm: scan median of {len(warm_times)}                {median * 1000:7.0f} ms   ratio to target "
          f"{median / TARGET_S:.2f}   (min {min(warm_times) * 1000:.0f}, max {max(warm_times) * 1000:.0f})")
    print(f"  slowest probe (last warm run): {slowest[0]} {slowest[1] * 1000:.0f} ms; cold per probe: "
          + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in cold["probes"].items()))
    print(f"  scan / bare python start: {median / baseline:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
