"""A transparent TCP relay for the netlab's intercepting hop: accepts what netfilter REDIRECTs to it and opens
its own connection to the real server, like a transparent proxy or a TCP-terminating security box.

    python tcp_relay.py --listen PORT --to HOST:PORT
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import threading


def pump(a: socket.socket, b: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while True:
            chunk = a.recv(65536)
            if not chunk:
                break
            b.sendall(chunk)
    with contextlib.suppress(OSError):
        b.shutdown(socket.SHUT_WR)


def handle(conn: socket.socket, target: tuple[str, int]) -> None:
    try:
        up = socket.create_connection(target, timeout=5)
    except OSError:
        conn.close()
        return
    up.settimeout(None)
    threads = [threading.Thread(target=pump, args=(conn, up), daemon=True),
               threading.Thread(target=pump, args=(up, conn), daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    conn.close()
    up.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--listen", type=int, required=True)
    p.add_argument("--to", required=True)
    args = p.parse_args()
    host, _, port = args.to.rpartition(":")
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", args.listen))
    srv.listen(64)
    print(f"relay listening on {args.listen} -> {args.to}", flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn, (host, int(port))), daemon=True).start()


if __name__ == "__main__":
    main()
