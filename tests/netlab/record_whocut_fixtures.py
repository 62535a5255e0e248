"""Record the whocut fixtures (tests/fixtures/whocut/*.json) from real netlab runs: the three traces and the
privileged helper's raw capture records, per scenario. Run as root:
    .venv/bin/python tests/netlab/record_whocut_fixtures.py

Not a test: the unit tests judge these recordings, so the rules are tested on what real gear produced.
"""

from __future__ import annotations

import json
import platform
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import netlab  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "whocut"
REQUEST = (b"GET /v1/models HTTP/1.1\r\nHost: lab\r\nUser-Agent: streamdoctor-path-trace\r\n"
           b"Connection: close\r\n\r\n")


def record(mode: str) -> dict[str, object]:
    from streamdoctor.cancel import CancelToken
    from streamdoctor.capture.session import CaptureSession
    from streamdoctor.probes.path.hoptrace import trace

    sc = netlab.build_whocut(mode)
    try:
        traces: dict[str, list[dict[str, object]]] = {}
        with sc.in_client():
            session = CaptureSession(sc.server_ip, netlab.LAB_PORT, 60)

            def one(kind: str) -> None:
                with sc.in_client():
                    steps = trace(kind, sc.server_ip, netlab.LAB_PORT, REQUEST, 1.5, CancelToken(), 8)
                traces[kind] = [s.to_dict() for s in steps]

            threads = [threading.Thread(target=one, args=(k,)) for k in ("udp", "syn", "data")]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            records = session.stop()
        return {
            "provenance": f"netlab scenario build_whocut({mode!r}) on {platform.platform()}, recorded "
                          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by {Path(__file__).name}",
            "mode": mode, "server": sc.server_ip, "port": netlab.LAB_PORT, "client": sc.client_ip,
            "hop_addresses": sc.info["hop_addresses"], "traces": traces,
            "capture_records": [[ts, iface, raw.hex(), n] for ts, iface, raw, n in records],
        }
    finally:
        sc.close()


def main() -> None:
    netlab.start_session()
    OUT.mkdir(parents=True, exist_ok=True)
    for mode in ("router-reset", "client-reset", "server-reset", "intercept"):
        data = record(mode)
        (OUT / f"{mode}.json").write_text(json.dumps(data, indent=1) + "\n")
        print(mode, len(data["capture_records"]), "packets")  # type: ignore[arg-type]
    netlab.teardown_all()


if __name__ == "__main__":
    main()
