"""Serve the lab API for the network lab: `streamdoctor lab serve` plus TLS and a silent "think".

`lab serve` has no TLS flag, and no built-in profile has a long think without a fault proxy of its own; the
network lab needs both, because the fault must come from the real network gear (netfilter, nginx, squid),
not from the lab's simulated middlebox. It also works around LabRuntime forwarding to 127.0.0.1 while its API
listens on --host when --host is not loopback (`lab serve --host 10.x.y.z` then answers nothing). Like
`lab serve`, the first stdout line is "Lab profile 'NAME' at URL" once the listeners are bound; SIGTERM or
Ctrl-C stops it.

    python serve_lab.py --profile clean --host 10.231.1.2 --port 8443 --think 8 \
        --cert api.pem --key api.key --url-host api.lab.test
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import ssl
import sys
import threading

from streamdoctor.lab import LabRuntime, get_profile


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="clean", help="a built-in lab profile (its fault proxy is kept)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--think", type=float, metavar="S",
                   help="the model thinks S seconds in silence (no SSE pings) before the first token")
    p.add_argument("--header-delay", type=float, metavar="S", help="hold the response headers S seconds")
    p.add_argument("--cert", help="serve TLS with this PEM certificate chain")
    p.add_argument("--key", help="the private key of --cert")
    p.add_argument("--url-host", default="", help="the name clients use in the printed URL (e.g. api.lab.test)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    profile = get_profile(args.profile)
    behaviour = profile.behaviour
    name = profile.name
    if args.think is not None:
        behaviour = dataclasses.replace(behaviour, ttft_s=args.think, ping_interval_s=0.0)
        name += f"+think{args.think:g}s"
    if args.header_delay is not None:
        behaviour = dataclasses.replace(behaviour, header_delay_s=args.header_delay)
        name += f"+headers{args.header_delay:g}s"
    profile = dataclasses.replace(profile, name=name, behaviour=behaviour)
    ssl_context = None
    if args.cert:
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_context.load_cert_chain(args.cert, args.key)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runtime = LabRuntime(profile, host=args.host, port=args.port, ssl_context=ssl_context, url_host=args.url_host)
    runtime.api.host = "127.0.0.1"  # the fault proxy forwards to 127.0.0.1; only the proxy faces the network
    with runtime as lab:
        print(f"Lab profile '{profile.name}' at {lab.url}", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
