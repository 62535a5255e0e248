"""A small TCP proxy that breaks connections the way corporate middleboxes do.

It works on bytes, not HTTP, so it behaves the same over plain HTTP and TLS, just like a NAT or firewall:
- idle_reset: after N s with no byte in either direction, send a TCP RST to the client (SO_LINGER 0).
- idle_drop: after N s of silence, stop forwarding anything, both ways, and answer nothing (a silent drop).
- idle_fin: after N s of silence, close politely (FIN) both ways.
- buffer: hold every byte from the server until it closes, then send it all at once (a buffering proxy).
- reset_after_bytes: RST the client after K bytes from the server (DPI/antivirus cutting mid-answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_DROPPED_LIFETIME_S = 900.0  # a black-holed connection is finally closed after this, so nothing leaks


class Fault(StrEnum):
    NONE = "none"
    IDLE_RESET = "idle_reset"
    IDLE_DROP = "idle_drop"
    IDLE_FIN = "idle_fin"
    BUFFER = "buffer"
    RESET_AFTER_BYTES = "reset_after_bytes"


@dataclass
class FaultSpec:
    fault: Fault = Fault.NONE
    idle_s: float = 0.0  # for the idle_* faults
    after_bytes: int = 0  # for reset_after_bytes


@dataclass
class ProxyStats:
    connections: int = 0
    resets: int = 0
    drops: int = 0
    fins: int = 0


class _Conn:
    """One proxied connection: client side, server side, and when a byte last crossed either way."""

    def __init__(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter,
                 sr: asyncio.StreamReader, sw: asyncio.StreamWriter) -> None:
        self.cr, self.cw, self.sr, self.sw = cr, cw, sr, sw
        self.last_activity = time.monotonic()
        self.dropped = False
        self.closed = False
        self.server_bytes = 0

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def reset_client(self) -> None:
        """Abort the client side with RST: SO_LINGER on with a zero timeout makes close() send RST."""
        if self.closed:
            return
        self.closed = True
        sock = self.cw.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.cw.transport.abort()
        self.sw.transport.abort()

    def close_both(self) -> None:
        if self.closed:
            return
        self.closed = True
        for w in (self.cw, self.sw):
            with contextlib.suppress(Exception):
                w.close()


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, spec: FaultSpec,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.spec = spec
        self.host = host
        self.port = port
        self.stats = ProxyStats()
        self._server: asyncio.Server | None = None
        self._conns: set[_Conn] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for c in list(self._conns):
            c.close_both()
        for t in list(self._tasks):
            t.cancel()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _accept(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        try:
            sr, sw = await asyncio.wait_for(asyncio.open_connection(*self.upstream), 5)
        except (OSError, TimeoutError):
            cw.close()
            return
        conn = _Conn(cr, cw, sr, sw)
        self._conns.add(conn)
        tasks = [
            asyncio.create_task(self._pump(conn, cr, sw, from_server=False)),
            asyncio.create_task(self._pump(conn, sr, cw, from_server=True)),
        ]
        if self.spec.fault in (Fault.IDLE_RESET, Fault.IDLE_DROP, Fault.IDLE_FIN):
            tasks.append(asyncio.create_task(self._idle_watch(conn)))
        self._tasks.update(tasks)
        try:
            await asyncio.gather(*tasks[:2], return_exceptions=True)
            if conn.dropped and not conn.closed:
                # A black hole keeps the client's socket open and answers nothing until the client gives up.
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(_wait_closed_by_peer(conn.cr), _DROPPED_LIFETIME_S)
        finally:
            for t in tasks:
                t.cancel()
                self._tasks.discard(t)
            conn.close_both()
            self._conns.discard(conn)

    async def _pump(self, conn: _Conn, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    from_server: bool) -> None:
        buffered: list[bytes] = []
        try:
            while True:
                data = await reader.read(_CHUNK)
                if conn.dropped:
                    if not data:
                        return
                    continue  # a black hole swallows everything
                if not data:
                    break
                conn.touch()
                if from_server and self.spec.fault is Fault.BUFFER:
                    buffered.append(data)
                    continue
                if from_server and self.spec.fault is Fault.RESET_AFTER_BYTES:
                    room = self.spec.after_bytes - conn.server_bytes
                    if len(data) >= room:
                        writer.write(data[:max(room, 0)])
                        with contextlib.suppress(ConnectionError):
                            await writer.drain()
                        self.stats.resets += 1
                        conn.reset_client()
                        return
                conn.server_bytes += len(data) if from_server else 0
                writer.write(data)
                await writer.drain()
            if buffered:
                writer.write(b"".join(buffered))
                await writer.drain()
            if not conn.dropped and writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            conn.close_both()

    async def _idle_watch(self, conn: _Conn) -> None:
        limit = self.spec.idle_s
        while not conn.closed:
            remaining = conn.last_activity + limit - time.monotonic()
            if remaining > 0:
                await asyncio.sleep(remaining)
                continue
            fault = self.spec.fault
            log.debug("fault proxy: %s after %.1f s idle", fault, limit)
            if fault is Fault.IDLE_RESET:
                self.stats.resets += 1
                conn.reset_client()
            elif fault is Fault.IDLE_FIN:
                self.stats.fins += 1
                conn.close_both()
            else:
                self.stats.drops += 1
                conn.dropped = True
                conn.sw.close()  # the server side is forgotten, as a firewall forgets the flow
            return


async def _wait_closed_by_peer(reader: asyncio.StreamReader) -> None:
    while await reader.read(_CHUNK):
        pass
