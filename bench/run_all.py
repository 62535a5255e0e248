"""`make bench`: run every benchmark in bench/ and print one table of their results.

A benchmark is any bench/*.py except this runner, the bare wizard (bench_package.py's baseline app) and files
starting with "_". Each runs in its own process; its output is shown as it comes. Lines of the form
`BENCH {"bench": ..., "metric": ..., "value": ..., "unit": ..., "baseline": ..., "ratio": ..., "target": ...,
"ok": true|false|null}` are collected into the final table (any key may be missing). A benchmark that prints no
such line gets one row with its exit status, so nothing is silently left out.

Exit status: 1 when a benchmark failed or reported a missed target, else 0.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"run_all.py", "bare_wizard.py"}
PER_BENCH_TIMEOUT_S = 1800


def benchmarks() -> list[Path]:
    return sorted(p for p in BENCH.glob("*.py") if p.name not in NOT_BENCHMARKS and not p.name.startswith("_"))


def run_one(script: Path) -> tuple[int, list[dict[str, Any]], float]:
    print(f"\n=== {script.name} ===", flush=True)
    started = time.monotonic()
    rows: list[dict[str, Any]] = []
    proc = subprocess.Popen(
        [sys.executable, str(script)], cwd=BENCH.parent, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("BENCH "):
            try:
                rows.append(json.loads(line[len("BENCH ") :]))
                continue
            except json.JSONDecodeError:
                pass
        print(line, end="", flush=True)
    try:
        code = proc.wait(timeout=PER_BENCH_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = -1
    return code, rows, time.monotonic() - started


def cell(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def main() -> int:
    table: list[tuple[str, dict[str, Any]]] = []
    failed = False
    for script in benchmarks():
        code, rows, seconds = run_one(script)
        if code != 0:
            failed = True
        if not rows:
            rows = [{"metric": f"(no BENCH lines; exit {code}, {seconds:.0f} s)", "ok": code == 0}]
        for row in rows:
            table.append((script.stem, row))
            if row.get("ok") is False:
                failed = True
    print("\n=== results ===")
    header = (
        f"{'benchmark':<22} {'metric':<58} {'value':>9} {'unit':<5} {'baseline':>9} {'ratio':>7}  {'target':<11} ok"
    )
    print(header)
    print("-" * len(header))
    for name, row in table:
        ratio = row.get("ratio")
        ok = {True: "ok", False: "MISSED", None: ""}.get(row.get("ok"), str(row.get("ok")))
        print(
            f"{name:<22} {cell(row.get('metric')):<58} {cell(row.get('value')):>9} {cell(row.get('unit')):<5} "
            f"{cell(row.get('baseline')):>9} {('-' if ratio is None else f'{ratio:.2f}x'):>7}  "
            f"{cell(row.get('target')):<11} {ok}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
