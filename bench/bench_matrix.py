"""Benchmark: the quick check with the experiment matrix vs today's quick check, on a dual-stack lab.

The matrix adds IPv4/IPv6 forced side by side, the small vs 1 MiB upload (with its bisection when cut), the
edge's self-description and (after consent) the user's clients; they run concurrently with the existing
probes, so the quick check must not get much slower: target <= 1.3 x the wall time of the quick check
without the matrix probes, measured alternately in one run. Also prints the bytes the large request
uploaded (budget: 2 MB per run). The lab is the netlab's dual-stack scenario (real namespaces, root): the API
name resolves to an IPv4 and an IPv6 address, the case where the family probe runs; --v6-blackhole drops IPv6
at the router. The script re-runs itself inside the client namespace (`--inside URL`), where both checks run
in one process, alternately.
Run (root): .venv/bin/python bench/bench_matrix.py [--runs N] [--v6-blackhole]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from streamdoctor.cancel import CancelToken
from streamdoctor.diagnosis import diagnose
from streamdoctor.probes import ProbeContext, select
from streamdoctor.runner import run_probes

TARGET_RATIO = 1.3
UPLOAD_BUDGET = 2 * 1024 * 1024
LAB_KEY = "sk-ant-lab-bench"


def one_check(url: str, with_matrix: bool) -> tuple[float, dict]:
    ctx = ProbeContext(base_url=url, api_key=LAB_KEY, quick=True)
    probes = [p for p in select(quick=True) if with_matrix or not p.name.startswith("matrix.")]
    t0 = time.monotonic()
    results = run_probes(probes, ctx, cancel=CancelToken())
    diagnose(results, url)
    wall = time.monotonic() - t0
    return wall, {r.probe: r for r in results}


BASELINE = ("import sys; from streamdoctor import cli; from streamdoctor.probes import select; "
            "args = cli.build_parser().parse_args(sys.argv[1:]); "
            "sys.exit(cli.run_check(args, probes=[p for p in select(True) if not p.name.startswith('matrix.')]))")


def command(url: str, with_matrix: bool) -> float:
    """Wall time of the quick check as the user runs it (interpreter, imports, probes, JSON)."""
    args = ["check", "--quick", "--json", "--base-url", url]
    argv = [sys.executable, "-m", "streamdoctor", *args] if with_matrix else [sys.executable, "-c", BASELINE, *args]
    t0 = time.monotonic()
    subprocess.run(argv, capture_output=True, timeout=120, env={**os.environ, "ANTHROPIC_API_KEY": LAB_KEY})
    return time.monotonic() - t0


def inside(url: str, runs: int) -> int:
    one_check(url, True)  # warm-up: imports (the SDK, httpx2) are not the matrix's cost
    base, matrix, cmd_base, cmd_matrix, sent = [], [], [], [], []
    for i in range(runs):
        cmd_base.append(command(url, False))
        cmd_matrix.append(command(url, True))
        b, _ = one_check(url, False)
        m, results = one_check(url, True)
        base.append(b)
        matrix.append(m)
        family = results["matrix.family"]
        sent.append(int(results["matrix.upload"].data.get("sent_bytes", 0)))
        print(f"run {i + 1}: command {cmd_base[-1]:.2f} s -> {cmd_matrix[-1]:.2f} s with the matrix; probes alone "
              f"{b:.2f} s -> {m:.2f} s; family: {family.status.value} ({family.summary}); uploaded "
              f"{sent[-1] // 1024} KB", flush=True)
    print("per probe, last run with the matrix: " + ", ".join(
        f"{r.probe} {r.duration_s:.2f}" for r in results.values()), flush=True)
    cb, cm = statistics.median(cmd_base), statistics.median(cmd_matrix)
    b, m = statistics.median(base), statistics.median(matrix)
    ratio = cm / cb
    print(f"\ncheck --quick as run (median of {runs}): {cb:.2f} s; with the matrix: {cm:.2f} s; ratio {ratio:.2f} "
          f"(target <= {TARGET_RATIO})")
    print(f"probes alone, in one process: {b:.2f} s; with the matrix: {m:.2f} s; ratio {m / b:.2f}")
    print(f"upload of the size test: {max(sent) // 1024} KB per run (budget {UPLOAD_BUDGET // 1024} KB)")
    for metric, value, baseline, target, ok in (
            ("check --quick with the matrix / without", cm, cb, f"<= {TARGET_RATIO} x", ratio <= TARGET_RATIO),
            ("quick probes alone with the matrix / without", m, b, "informative", True),
            ("upload bytes per run", max(sent), UPLOAD_BUDGET, "<= 2 MB", max(sent) <= UPLOAD_BUDGET)):
        print("BENCH " + json.dumps({"bench": "matrix", "metric": metric, "value": round(value, 3),
                                     "baseline": round(baseline, 3), "ratio": round(value / baseline, 3),
                                     "target": target, "ok": ok}))
    return 0 if ratio <= TARGET_RATIO and max(sent) <= UPLOAD_BUDGET else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--v6-blackhole", action="store_true", help="IPv6 dropped at the router")
    parser.add_argument("--inside", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        return inside(args.inside, args.runs)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "netlab"))
    import netlab

    reason = netlab.missing_requirement()
    if reason:
        print(f"no dual-stack lab here: {reason}")
        print("BENCH " + json.dumps({"bench": "matrix", "metric": "quick check with the matrix / without",
                                     "target": f"<= {TARGET_RATIO} x", "ok": None, "note": f"skipped: {reason}"}))
        return 0
    netlab.start_session()
    try:
        with netlab.build_dual_stack(v6_blackhole=args.v6_blackhole) as sc:
            proc = sc.run_client([netlab.PY, str(Path(__file__).resolve()), "--inside", sc.api_url,
                                  "--runs", str(args.runs)], timeout=120 + 60 * args.runs,
                                 env={"STREAMDOCTOR_HOME": str(sc.workdir / "home")})
            print(f"dual-stack lab ({'IPv6 black-holed' if args.v6_blackhole else 'clean'}): {sc.api_url}")
            print(proc.stdout, end="")
            if proc.returncode not in (0, 1):
                print(proc.stderr[-2000:], file=sys.stderr)
            return proc.returncode
    finally:
        netlab.teardown_all()


if __name__ == "__main__":
    raise SystemExit(main())
