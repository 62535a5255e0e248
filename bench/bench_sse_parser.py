"""Benchmark: the SSE parser on an unterminated line, before (the pre-issue-14 parser) and after, side by side.

The old parser appended every chunk to a bytes buffer and searched it from the start each time: quadratic in
an unterminated line, and it held all of it (100 MB: 95 s, 406 MB RSS in the review). The new one resumes its
search where it stopped and gives up at MAX_FRAME_BYTES. Both read the same N MB in 16 KB chunks (what a TLS
read returns); the old one is stopped at the same byte count, not at its cap, to show its growth. Also a normal
stream (framed events) to show the new parser is not slower on the common case.

    .venv/bin/python bench/bench_sse_parser.py [--mb N]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from streamdoctor.protocol import sse

CHUNK = 16 * 1024


class OldParser:
    """The parser as it was before issue 14 (lab/sse.py at 4f476f6), for comparison only."""

    def __init__(self) -> None:
        self._buf = b""
        self._lines = sse.SSEParser()  # the same line parsing as the new one; only the framing differs

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        self._buf += chunk.replace(b"\r\n", b"\n")
        events: list[tuple[str, str]] = []
        while b"\n\n" in self._buf:
            raw, self._buf = self._buf.split(b"\n\n", 1)
            self._lines._parse(raw, events)
        return events


def endless_line(parser: object, total: int) -> tuple[float, float, str]:
    chunk = b"x" * CHUNK
    tracemalloc.start()
    t0 = time.perf_counter()
    ending = "read all"
    try:
        for _ in range(total // CHUNK):
            parser.feed(chunk)  # type: ignore[attr-defined]
    except sse.FrameTooLarge:
        ending = "FrameTooLarge at the cap"
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return dt, peak, ending


def framed(parser: object, events: int) -> float:
    data = sse.text_delta("hello") * events
    t0 = time.perf_counter()
    for i in range(0, len(data), CHUNK):
        parser.feed(data[i:i + CHUNK])  # type: ignore[attr-defined]
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=8)
    args = ap.parse_args()
    total = args.mb * 1024 * 1024
    old_t, old_m, _ = endless_line(OldParser(), total)
    new_t, new_m, new_end = endless_line(sse.SSEParser(), total)
    print(f"unterminated line, {args.mb} MB in {CHUNK // 1024} KB chunks:")
    print(f"  old: {old_t:8.3f} s  peak {old_m:7.1f} MB  (read all, held all)")
    print(f"  new: {new_t:8.3f} s  peak {new_m:7.1f} MB  ({new_end}, cap {sse.MAX_FRAME_BYTES // 2**20} MiB)")
    print(f"  time ratio old/new: {old_t / max(new_t, 1e-9):.0f}x")
    o, n = framed(OldParser(), 50_000), framed(sse.SSEParser(), 50_000)
    print(f"framed stream, 50,000 events: old {o:.3f} s, new {n:.3f} s, new/old {n / o:.2f}")


if __name__ == "__main__":
    main()
