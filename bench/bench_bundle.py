"""Benchmark: writing the diagnostic bundle for a thorough run (targets: under 1 s and under 2 MB).

    python bench/bench_bundle.py [--runs 5]

The report comes from a real full check against the lab (idle-reset: stream and idle tests), then is grown to
the worst case a thorough run can produce: the stream probe's sample cap (5000 events), a 40-rung idle ladder,
large command outputs, and a full 2 MB log with secrets in it (so redaction does real work). The baseline is
the least any bundler must do: zip the unredacted report.json and the log as they are. Prints time and size,
their ratios to the targets and to the baseline, and `BENCH {json}` lines for bench/run_all.py.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

TARGET_S = 1.0
TARGET_BYTES = 2_000_000


def thorough_report():  # type: ignore[no-untyped-def]
    from streamdoctor.cli import run_check
    from streamdoctor.model import report_from

    out = io.StringIO()
    args = argparse.Namespace(lab="idle-reset", base_url=None, json=True, quick=False, model=None)
    run_check(args, out)
    report = report_from(json.loads(out.getvalue()))
    stream = report.result("stream")
    if stream is not None:  # the sample cap: a long answer at ~50 events/s
        stream.data["samples"] = [[round(i * 0.02, 4), 120 if i % 15 else 20,
                                   "ping" if i % 15 == 0 else "content_block_delta"] for i in range(5000)]
        stream.data["total_s"] = 100.0
    idle = report.result("idle")
    if idle is not None:
        idle.data["connections"] = [{"id": i, "hold_s": 5.0 * (i + 1), "state": "alive" if i < 30 else "reset",
                                     "idle_s": 5.0 * (i + 1) if i < 30 else 150.0, "ended_s": 160.0 + i}
                                    for i in range(40)]
    netstat = "\n".join(f"tcp   0   0 10.0.{i % 250}.{i % 200}:{40000 + i}  160.79.104.10:443  ESTABLISHED"
                        for i in range(1500))
    for r in report.results:
        if r.probe.startswith("env."):
            r.data.setdefault("raw", {})["netstat"] = netstat
    return report


def write_log(path: Path, size: int) -> None:
    """A full log (the rotating handler's 2 MB) of debug lines; one in ten carries secrets to redact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = ("2026-01-01 12:00:00,000 DEBUG stream-watchdog streamdoctor.probes.stream: chunk 512 B at 12.345 s, "
             "3 events, since last byte 0.02 s\n")
    secret = ("2026-01-01 12:00:00,000 DEBUG MainThread httpcore2.http11: send_request_headers "
              "[(b'x-api-key', b'sk-ant-api03-benchbenchbench'), (b'authorization', b'Bearer abc.def.123456')] "
              "via http://user:secretpw@proxy.corp.example.com:3128 from /home/benchuser/.claude\n")
    block = plain * 9 + secret
    with path.open("w", encoding="utf-8") as f:
        f.write(block * (size // len(block)))


def baseline(report, log_file: Path, folder: Path) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from streamdoctor.model import to_jsonable

    t0 = time.perf_counter()
    target = folder / "baseline.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("report.json", json.dumps(to_jsonable(report), indent=1))
        z.write(log_file, "logs/streamdoctor.log")
    return time.perf_counter() - t0, target.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as tmp:
        os.environ["STREAMDOCTOR_HOME"] = str(Path(tmp) / "home")
        from streamdoctor import paths
        from streamdoctor.bundle import write_bundle

        print("running a full check against the lab (idle-reset)...", flush=True)
        report = thorough_report()
        write_log(paths.log_file(), 2_000_000)
        times, size = [], 0
        for i in range(args.runs):
            folder = Path(tmp) / f"out{i}"
            t0 = time.perf_counter()
            zpath = write_bundle(report, folder)
            times.append(time.perf_counter() - t0)
            size = zpath.stat().st_size
        base_s, base_bytes = baseline(report, paths.log_file(), Path(tmp))
    median = statistics.median(times)
    print(f"bundle: {median * 1000:.0f} ms median of {args.runs} (min {min(times) * 1000:.0f} ms), "
          f"{size / 1024:.0f} KB")
    print(f"  vs target: time {median / TARGET_S:.2f}x of {TARGET_S:.0f} s, size {size / TARGET_BYTES:.2f}x of "
          f"{TARGET_BYTES / 1e6:.0f} MB")
    print(f"  vs baseline (zip of unredacted report.json + log): time {median / base_s:.1f}x "
          f"({base_s * 1000:.0f} ms), size {size / base_bytes:.2f}x ({base_bytes / 1024:.0f} KB)")
    rows = [
        {"bench": "bundle", "metric": "write time", "value": round(median, 3), "unit": "s",
         "baseline": round(base_s, 3), "ratio": round(median / TARGET_S, 3), "target": f"< {TARGET_S} s",
         "ok": median < TARGET_S},
        {"bench": "bundle", "metric": "zip size", "value": size, "unit": "B", "baseline": base_bytes,
         "ratio": round(size / TARGET_BYTES, 3), "target": f"< {TARGET_BYTES} B", "ok": size < TARGET_BYTES},
    ]
    for row in rows:
        print("BENCH " + json.dumps(row), flush=True)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
