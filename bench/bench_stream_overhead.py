"""Benchmark: what the stress test's per-event recording costs, against a bare SDK text_stream loop.

The lab API runs in its own process and writes a 20,000-event answer as fast as it can (pre-rendered 64 KB
batches), so the client is the bottleneck. Both clients read the same stream over loopback in the same run,
alternating; the best of each is compared. Target: the stress test's throughput >= 0.9 x the bare loop's.

Memory: tracemalloc's peak while the stress test reads 20,000 events and while it reads 3 x as many. Beyond
the capped samples (5,000) nothing may grow per event, so the two peaks must be about equal.

    .venv/bin/python bench/bench_stream_overhead.py [--events N] [--runs R]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time
import tracemalloc
from typing import Any

TARGET_RATIO = 0.9
MEMORY_GROWTH_MAX = 1.25  # peak at 3x the events / peak at 1x


def serve(events: int, conn: Any) -> None:
    from streamdoctor.lab import LabRuntime
    from streamdoctor.lab.profiles import LabProfile
    from streamdoctor.lab.server import ServerBehaviour

    behaviour = ServerBehaviour(ttft_s=0.0, max_deltas=events, delta_interval_s=0.0, batched=True)
    with LabRuntime(LabProfile("bench-fast", "", behaviour)) as lab:
        conn.send(lab.url)
        conn.recv()  # until the parent says stop


def bare_sdk(url: str, events: int) -> tuple[float, int]:
    import anthropic

    client = anthropic.Anthropic(api_key="sk-ant-lab-demo", base_url=url, max_retries=0)
    n = 0
    t0 = time.perf_counter()
    with client.messages.stream(model="claude-sonnet-5-5", max_tokens=events,
                                messages=[{"role": "user", "content": "go"}]) as stream:
        for _ in stream.text_stream:
            n += 1
    took = time.perf_counter() - t0
    client.close()
    return took, n


def stress_probe(url: str, events: int) -> tuple[float, int, dict[str, Any]]:
    from streamdoctor.cancel import CancelToken
    from streamdoctor.probes.base import ProbeContext
    from streamdoctor.probes.stream import StreamProbe

    ctx = ProbeContext(base_url=url, api_key="sk-ant-lab-demo", max_tokens=events,
                       options={"sdk_retry_check": False})
    t0 = time.perf_counter()
    result = StreamProbe().run(ctx, lambda p: None, CancelToken())
    took = time.perf_counter() - t0
    assert result.data["outcome"] == "completed", result.summary
    return took, result.data["text_events"], result.data


def peak_memory(url: str, events: int) -> tuple[int, int]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    _, _, data = stress_probe(url, events)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, len(json.dumps(data))


def bench(name: str, metric: str, value: float, unit: str, baseline: float | None, ratio: float | None,
          target: str, ok: bool | None) -> None:
    print("BENCH " + json.dumps({"bench": name, "metric": metric, "value": round(value, 4), "unit": unit,
                                 "baseline": None if baseline is None else round(baseline, 4),
                                 "ratio": None if ratio is None else round(ratio, 3), "target": target, "ok": ok}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    servers = []
    urls = {}
    for n in (args.events, 3 * args.events):
        server = ctx.Process(target=serve, args=(n, child), daemon=True)
        server.start()
        urls[n] = parent.recv()
        servers.append(server)
    try:
        url = urls[args.events]
        bare_sdk(url, args.events)  # warm-up: imports, first connection
        stress_probe(url, args.events)
        bare_times, probe_times = [], []
        for _ in range(args.runs):
            took, n = bare_sdk(url, args.events)
            assert n == args.events, n
            bare_times.append(took)
            took, n, _ = stress_probe(url, args.events)
            assert n == args.events, n
            probe_times.append(took)
        bare, probe = min(bare_times), min(probe_times)
        ratio = bare / probe  # = probe throughput / bare throughput
        print(f"{args.events} events, best of {args.runs}: bare SDK text_stream {bare:.3f} s "
              f"({args.events / bare:,.0f} events/s), stress test {probe:.3f} s ({args.events / probe:,.0f} events/s)")
        print(f"  all bare runs: {[round(t, 3) for t in bare_times]}; "
              f"all stress runs: {[round(t, 3) for t in probe_times]}")
        print(f"  throughput ratio stress/bare = {ratio:.2f} (target >= {TARGET_RATIO})")
        bench("stream_overhead", "throughput_ratio", args.events / probe, "events/s", args.events / bare, ratio,
              f">= {TARGET_RATIO} x bare SDK", ratio >= TARGET_RATIO)

        peak1, size1 = peak_memory(url, args.events)
        peak3, size3 = peak_memory(urls[3 * args.events], 3 * args.events)
        growth = peak3 / peak1
        print(f"  tracemalloc peak: {peak1 / 1e6:.2f} MB at {args.events} events, {peak3 / 1e6:.2f} MB at "
              f"{3 * args.events} events (x{growth:.2f}); result JSON {size1 / 1e3:.0f} KB vs {size3 / 1e3:.0f} KB")
        bench("stream_overhead", "memory_peak_3x_events", peak3 / 1e6, "MB", peak1 / 1e6, growth,
              f"<= {MEMORY_GROWTH_MAX} x (flat)", growth <= MEMORY_GROWTH_MAX)
        return 0 if ratio >= TARGET_RATIO and growth <= MEMORY_GROWTH_MAX else 1
    finally:
        for _ in servers:
            parent.send("stop")
        for server in servers:
            server.join(5)


if __name__ == "__main__":
    raise SystemExit(main())
