"""Benchmark: how long each test takes against a hostile loopback server, this tree against another one.

Issue 14 item 3: a PAC server dripping a byte a second, a stream of endless pings or SSE comments, and a server
that drips its HTTP headers each kept a test running for minutes. This script runs the product's own code
(from --src, default this tree) against each server, stops waiting at --cap seconds, and prints the time and
how it ended. Run it twice, side by side, to compare before and after:

    .venv/bin/python bench/bench_hostile.py                       # this tree
    git archive 4f476f6 src | tar -x -C /tmp/old && \\
        .venv/bin/python bench/bench_hostile.py --src /tmp/old/src  # the tree before issue 14

Every case runs in its own process, killed at the cap, so a hang is measured as ">= cap" and never blocks.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "security"))  # the hostile servers the tests use


def _case(name: str, src: str, conn: Any) -> None:
    sys.path.insert(0, src)
    import hostile

    from streamdoctor.cancel import CancelToken
    from streamdoctor.probes.base import ProbeContext, no_progress

    def ctx(port: int) -> ProbeContext:
        return ProbeContext(base_url=f"http://127.0.0.1:{port}", api_key="sk-ant-lab-demo",
                            options={"sdk_retry_check": False})  # the probes' default limits

    t0 = time.monotonic()
    if name == "pac-drip-headers":
        from streamdoctor.platform.pac import pac_for_url

        with hostile.hostile_server(hostile.drip_headers(1.0)) as port:
            end = pac_for_url(f"http://127.0.0.1:{port}/p.pac", "https://api.anthropic.com/").error
    elif name in ("stream-endless-pings", "stream-endless-comments"):
        try:
            from streamdoctor.protocol import sse
        except ImportError:  # the tree before issue 14 kept the frames in the lab
            from streamdoctor.lab import sse  # type: ignore[attr-defined,no-redef,unused-ignore]
        from streamdoctor.probes.stream import StreamProbe

        frame = sse.ping() if name.endswith("pings") else b": keep-alive\n\n"
        with hostile.hostile_server(hostile.sse_forever(frame, 1.0)) as port:
            end = StreamProbe().run(ctx(port), no_progress, CancelToken()).summary
    elif name == "http-drip-headers":
        from streamdoctor.probes.http import HTTPProbe

        with hostile.hostile_server(hostile.drip_headers(1.0)) as port:
            end = HTTPProbe().run(ctx(port), no_progress, CancelToken()).summary
    elif name == "mtu-large-request-drip-headers":
        from streamdoctor.probes.mtu import large_request_test

        with hostile.hostile_server(hostile.drip_headers(1.0)) as port:
            out = large_request_test(ctx(port), CancelToken(), 256 * 1024, timeout=30.0)
            end = f"small: {out['small'].get('kind')}, large: {out['large'].get('kind')}"
    conn.send((time.monotonic() - t0, str(end)[:100]))


CASES = ("pac-drip-headers", "stream-endless-pings", "stream-endless-comments", "http-drip-headers",
         "mtu-large-request-drip-headers")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default=str(HERE.parent / "src"))
    ap.add_argument("--cap", type=float, default=240.0, help="stop waiting after this many seconds")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    print(f"{'case':<34} {'seconds':>9}  ending")
    for name in CASES:
        if args.only and args.only not in name:
            continue
        parent, child = mp.Pipe()
        proc = mp.get_context("spawn").Process(target=_case, args=(name, args.src, child), daemon=True)
        proc.start()
        t0 = time.monotonic()
        got = parent.poll(args.cap)
        if got:
            secs, end = parent.recv()
            print(f"{name:<34} {secs:9.1f}  {end}")
        else:
            print(f"{name:<34} {'>= ' + format(time.monotonic() - t0, '.0f'):>9}  still running at the cap: killed")
        proc.kill()
        proc.join(5)


if __name__ == "__main__":
    main()
