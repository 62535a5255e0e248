"""Benchmark: what speaking the user's language costs the CLI and the bundle, English measured side by side.

    python bench/bench_i18n.py [--runs 9]

Three comparisons, interleaved so load on the shared machine hits both sides alike: building the command line
(every start builds it: ~70 translated help texts) in English vs German; rendering every file of the bundle
(summary.txt, report.html with its charts, report.json) for a report with a 5,000-event stream in English vs
German; and the same bundle for IT in English from a German report (every text re-said with i18n.relocalize).
Prints the medians and their ratios; `BENCH {json}` lines for bench/run_all.py.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

# Translation is a dictionary lookup and a format per text: the pages it renders are dominated by the charts and
# the redaction, so speaking German should cost at most a fifth more, and re-saying the report for IT a third.
TARGET_LANGUAGE = 1.2
TARGET_IT_ENGLISH = 1.3
STREAM_EVENTS = 5_000  # a long streamed answer (the stress test's "long" size)


def make_report():  # type: ignore[no-untyped-def]
    """A report in the current language, with the data every renderer draws (texts made with _() like the rules')."""
    from streamdoctor.i18n import _
    from streamdoctor.model import (
        Confidence,
        Evidence,
        Finding,
        Overall,
        ProbeResult,
        Report,
        Severity,
        Status,
        Verdict,
    )

    samples = [[0.4 + i * 0.01, 40, "content_block_delta" if i % 10 else "ping"] for i in range(STREAM_EVENTS)]
    results = [
        ProbeResult("idle", Status.FAIL, _("Raise the idle timeout for {host}:{port}", host="api.example", port="443"),
                    data={"cut_s": 30.25, "ending": "reset", "longest_alive_s": 20.0, "bracket": [20.0, 40.0],
                          "connections": [{"id": i, "hold_s": 5.0 * i, "idle_s": 5.0 * i,
                                           "state": "alive" if i < 7 else "reset"} for i in range(1, 13)]},
                    evidence=[Evidence(_("Idle time after which connections are cut"), 30.25, "s")]),
        ProbeResult("stream", Status.FAIL, _("How the test answer ended"),
                    data={"samples": samples, "total_s": 90.0, "outcome": "reset", "silence_before_end_s": 30.0,
                          "time_to_first_byte_s": 0.4, "bytes": 200_000}),
        ProbeResult("tls", Status.WARN, _("TLS inspection"), data={"inspected": True, "inspector": "Zscaler"}),
        ProbeResult("mtu", Status.WARN, _("Path MTU / interface MTU"),
                    data={"path_mtu": 1400, "interface_mtu": 1500, "interface": "eth0", "black_hole": True}),
    ]
    findings = [Finding("bench", "idle-reset", Severity.PROBLEM, Confidence.HIGH, _("Idle test"),
                        _("old and new connections both worked"),
                        evidence=[Evidence(_("Longest silence a connection survived"), 20.0, "s")],
                        ask_it=_("the network itself stayed broken: new connections failed too"))
                for _i in range(6)]
    return Report(target={"base_url": "https://api.example"}, results=results,
                  verdict=Verdict(Overall.PROBLEM, _("Problem found"), findings), app_version="bench")


def _median(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _i in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    from streamdoctor import i18n
    from streamdoctor.bundle.writer import in_language, prepare
    from streamdoctor.cli import build_parser

    def parser_in(lang: str) -> Callable[[], object]:
        def run() -> object:
            with i18n.using(lang):
                return build_parser()
        return run

    with i18n.using("en"):
        english = make_report()
    with i18n.using("de"):
        german = make_report()

    def bundle(report, lang: str, it_language: str | None = None) -> Callable[[], object]:  # type: ignore[no-untyped-def]
        def run() -> object:
            with i18n.using(lang), in_language(report, it_language) as localized:
                return prepare(localized, with_files=True)
        return run

    cases = {
        "parser": (parser_in("en"), parser_in("de")),
        "bundle": (bundle(english, "en"), bundle(german, "de")),
        "bundle for IT in English": (bundle(english, "en"), bundle(german, "de", "en")),
    }
    for base, mine in cases.values():  # warm up: imports and the catalogs' first load
        base(), mine()
    results: dict[str, tuple[float, float]] = {}
    for name, (base, mine) in cases.items():
        a, b = [], []
        for _i in range(max(1, args.runs)):  # interleaved
            a += _median(base, 1)
            b += _median(mine, 1)
        results[name] = statistics.median(a), statistics.median(b)
    ok = True
    for name, (base_s, mine_s) in results.items():
        target = TARGET_IT_ENGLISH if "IT" in name else TARGET_LANGUAGE
        ratio = mine_s / base_s
        ok &= ratio <= target
        print(f"{name}: English {base_s * 1000:.1f} ms, {'German -> English' if 'IT' in name else 'German'} "
              f"{mine_s * 1000:.1f} ms; ratio {ratio:.2f}x (target <= {target}x: "
              f"{'met' if ratio <= target else 'MISSED'})")
        print("BENCH " + json.dumps({"bench": "i18n", "metric": name, "value": round(mine_s, 4), "unit": "s",
                                     "baseline": round(base_s, 4), "ratio": round(ratio, 2), "target": target,
                                     "ok": ratio <= target}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
