"""A simulated Anthropic Messages API, faithful enough for the real `anthropic` SDK to consume unchanged.

HTTP/1.1 with keep-alive, written on asyncio streams (not http.server) so it controls exactly when each byte
leaves: time to first token, SSE ping cadence, delta rate, a mid-stream `event: error`, 429/529 with
retry-after. Plain HTTP or TLS (pass an SSLContext).

Endpoints: POST /v1/messages (streaming and not), GET /v1/models, GET /v1/models/{id}. Any non-empty API key
is accepted except REFUSED_API_KEY, which gets the API's 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

from ..protocol import sse
from ..protocol.constants import LAB_API_KEY as LAB_API_KEY  # re-exported: lab users import it from here
from ..protocol.constants import LAB_MARKER_HEADER, REFUSED_API_KEY, SILENT_HOLD_HEADER

log = logging.getLogger(__name__)

LAB_MODELS = ("claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5")
MAX_SILENT_HOLD_S = 900.0
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 32 * 1024 * 1024
WORDS = (
    "The quick brown fox jumps over the lazy dog while the network keeps every byte flowing steadily onward. "
).split()


@dataclass
class ServerBehaviour:
    """How the simulated API behaves. Fault profiles set some of these; the fault proxy does the rest."""

    header_delay_s: float = 0.0  # before the response headers: a slow first byte
    ttft_s: float = 0.2  # after message_start, before the first text delta: the model "thinking"
    max_deltas: int = 200  # text deltas per answer, capped by the request's max_tokens
    delta_interval_s: float = 0.005  # between deltas; 0 sends them as fast as the socket takes them
    ping_interval_s: float = 0.0  # SSE ping cadence while thinking and writing; 0: only the initial ping
    error_after_deltas: int | None = None  # send `event: error` (overloaded) after this many deltas
    status: int | None = None  # answer every POST /v1/messages with this HTTP status (429, 529, 500...)
    retry_after_s: int = 1
    garbage: bool = False  # answer with an HTML page instead of JSON/SSE (a captive portal, a block page)
    close_after_response: bool = False  # Connection: close (used with the buffering proxy)
    words_per_delta: int = 1
    batched: bool = False  # write the deltas in 64 KB batches, as fast as possible (benchmarks: outrun the client)


@dataclass
class ServerStats:
    connections: int = 0
    requests: int = 0
    streams_started: int = 0
    streams_completed: int = 0
    paths: list[str] = field(default_factory=list)


class _BadRequest(Exception):
    pass


class LabAPIServer:
    """The simulated API. start() binds (raising OSError if the port is taken); stop() closes everything."""

    def __init__(
        self,
        behaviour: ServerBehaviour | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.behaviour = behaviour or ServerBehaviour()
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.stats = ServerStats()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._ids = itertools.count(1)

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, ssl=self.ssl_context, limit=MAX_HEADER_BYTES
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    # --- connection handling -------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        self._writers.add(writer)
        try:
            while True:
                try:
                    request = await _read_request(reader)
                except _BadRequest as exc:
                    await self._send_json(writer, 400, sse.error_body("invalid_request_error", str(exc), "req_bad"))
                    break
                if request is None:
                    break
                keep_alive = await self._handle(request, writer)
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, TimeoutError):
            pass  # the client (or the fault proxy) went away: normal in a lab built to break connections
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(self, req: dict[str, Any], writer: asyncio.StreamWriter) -> bool:
        self.stats.requests += 1
        self.stats.paths.append(f"{req['method']} {req['path']}")
        b = self.behaviour
        request_id = f"req_lab{next(self._ids):06d}"
        keep_alive = req["headers"].get("connection", "").lower() != "close" and not b.close_after_response
        path = req["path"].split("?", 1)[0]

        if b.header_delay_s > 0:
            await asyncio.sleep(b.header_delay_s)
        silent = _silent_hold_s(req["headers"])
        if silent > 0:
            # The idle test's in-flight probe: the request is in, the answer stays pending and silent.
            await asyncio.sleep(silent)
        if b.garbage:
            await self._send(
                writer, 200, b"<html><body><h1>Access to this site is blocked</h1></body></html>",
                "text/html; charset=utf-8", request_id, keep_alive,
            )
            return keep_alive

        key = req["headers"].get("x-api-key") or _bearer(req["headers"].get("authorization", ""))
        if not key:
            body = sse.error_body("authentication_error", "x-api-key header is required", request_id)
            await self._send_json(writer, 401, body, request_id, keep_alive)
            return keep_alive
        if key == REFUSED_API_KEY:
            body = sse.error_body("authentication_error", "invalid x-api-key", request_id)
            await self._send_json(writer, 401, body, request_id, keep_alive)
            return keep_alive

        if req["method"] == "GET" and path == "/v1/models":
            await self._send_json(writer, 200, json.dumps(_models_page()).encode(), request_id, keep_alive)
            return keep_alive
        if req["method"] == "GET" and path.startswith("/v1/models/"):
            model_id = path.rsplit("/", 1)[1]
            if model_id in LAB_MODELS:
                await self._send_json(writer, 200, json.dumps(_model(model_id)).encode(), request_id, keep_alive)
            else:
                body = sse.error_body("not_found_error", f"model: {model_id}", request_id)
                await self._send_json(writer, 404, body, request_id, keep_alive)
            return keep_alive
        if path != "/v1/messages" or req["method"] != "POST":
            body = sse.error_body("not_found_error", "Not Found", request_id)
            await self._send_json(writer, 404, body, request_id, keep_alive)
            return keep_alive

        if b.status is not None:
            kinds = {429: "rate_limit_error", 529: "overloaded_error", 500: "api_error", 503: "api_error"}
            body = sse.error_body(kinds.get(b.status, "api_error"), _reason(b.status), request_id)
            await self._send_json(
                writer, b.status, body, request_id, keep_alive, extra={"retry-after": str(b.retry_after_s)}
            )
            return keep_alive

        try:
            payload = json.loads(req["body"] or b"{}")
            max_tokens = int(payload["max_tokens"])
            model = str(payload.get("model") or LAB_MODELS[0])
        except (ValueError, KeyError, TypeError):
            body = sse.error_body("invalid_request_error", "max_tokens: field required", request_id)
            await self._send_json(writer, 400, body, request_id, keep_alive)
            return keep_alive
        deltas = max(1, min(max_tokens, b.max_deltas))
        input_tokens = max(1, len(req["body"]) // 4)
        message_id = f"msg_lab{next(self._ids):08d}"
        if payload.get("stream"):
            return await self._stream(writer, request_id, message_id, model, input_tokens, deltas, keep_alive)
        await asyncio.sleep(b.ttft_s)
        text = " ".join(_words(deltas * b.words_per_delta))
        message = {
            "id": message_id, "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": deltas},
        }
        await self._send_json(writer, 200, json.dumps(message).encode(), request_id, keep_alive)
        return keep_alive

    async def _stream(
        self, writer: asyncio.StreamWriter, request_id: str, message_id: str, model: str,
        input_tokens: int, deltas: int, keep_alive: bool,
    ) -> bool:
        b = self.behaviour
        self.stats.streams_started += 1
        head = _head(200, "text/event-stream; charset=utf-8", request_id, keep_alive, chunked=True,
                     extra={"cache-control": "no-cache"})
        writer.write(head)
        await _chunk(writer, sse.message_start(message_id, model, input_tokens))
        await _chunk(writer, sse.ping())
        await self._think(writer, b.ttft_s)
        await _chunk(writer, sse.content_block_start())
        words = _words(deltas * b.words_per_delta)
        last_ping = time.monotonic()
        if b.batched:
            batch = bytearray()
            for i in range(deltas):
                frame = sse.text_delta(words[i] if i == 0 else " " + words[i])
                batch += b"%x\r\n%s\r\n" % (len(frame), frame)
                if len(batch) >= 65536 or i == deltas - 1:
                    writer.write(bytes(batch))
                    batch.clear()
                    await writer.drain()
            deltas_left = 0
        else:
            deltas_left = deltas
        for i in range(deltas_left):
            if b.error_after_deltas is not None and i >= b.error_after_deltas:
                await _chunk(writer, sse.error("overloaded_error", "Overloaded"))
                await _end_chunks(writer)
                return keep_alive
            piece = " ".join(words[i * b.words_per_delta:(i + 1) * b.words_per_delta])
            await _chunk(writer, sse.text_delta(piece if i == 0 else " " + piece))
            if b.ping_interval_s > 0 and time.monotonic() - last_ping >= b.ping_interval_s:
                await _chunk(writer, sse.ping())
                last_ping = time.monotonic()
            if b.delta_interval_s > 0:
                await asyncio.sleep(b.delta_interval_s)
        await _chunk(writer, sse.content_block_stop())
        await _chunk(writer, sse.message_delta(deltas))
        await _chunk(writer, sse.message_stop())
        await _end_chunks(writer)
        self.stats.streams_completed += 1
        return keep_alive

    async def _think(self, writer: asyncio.StreamWriter, seconds: float) -> None:
        """Stay silent for `seconds`, except for SSE pings at the configured cadence."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            interval = self.behaviour.ping_interval_s
            if interval <= 0 or interval >= remaining:
                await asyncio.sleep(remaining)
                return
            await asyncio.sleep(interval)
            await _chunk(writer, sse.ping())

    async def _send_json(
        self, writer: asyncio.StreamWriter, status: int, body: bytes, request_id: str = "req_lab",
        keep_alive: bool = False, extra: dict[str, str] | None = None,
    ) -> None:
        await self._send(writer, status, body, "application/json", request_id, keep_alive, extra)

    @staticmethod
    async def _send(
        writer: asyncio.StreamWriter, status: int, body: bytes, content_type: str, request_id: str,
        keep_alive: bool, extra: dict[str, str] | None = None,
    ) -> None:
        writer.write(_head(status, content_type, request_id, keep_alive, length=len(body), extra=extra) + body)
        await writer.drain()


# --- HTTP/1.1 plumbing ------------------------------------------------------------------------------------


async def _read_request(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise _BadRequest("incomplete request head") from None
        return None
    except asyncio.LimitOverrunError:
        raise _BadRequest("request head too large") from None
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
    except ValueError:
        raise _BadRequest("malformed request line") from None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = b""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    elif "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError:
            raise _BadRequest("bad content-length") from None
        if not 0 <= length <= MAX_BODY_BYTES:
            raise _BadRequest("body too large")
        body = await reader.readexactly(length)
    return {"method": method.upper(), "path": target, "headers": headers, "body": body}


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            raise _BadRequest("bad chunk size") from None
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        total += size
        if total > MAX_BODY_BYTES:
            raise _BadRequest("body too large")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _head(
    status: int, content_type: str, request_id: str, keep_alive: bool, *, length: int | None = None,
    chunked: bool = False, extra: dict[str, str] | None = None,
) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {_reason(status)}",
        f"content-type: {content_type}",
        f"request-id: {request_id}",
        "server: streamdoctor-lab",
        f"{LAB_MARKER_HEADER}: 1",  # survives reverse proxies that rewrite `server`; the idle test looks for it
        f"connection: {'keep-alive' if keep_alive else 'close'}",
    ]
    if chunked:
        lines.append("transfer-encoding: chunked")
    else:
        lines.append(f"content-length: {length or 0}")
    for k, v in (extra or {}).items():
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(b"%x\r\n%s\r\n" % (len(data), data))
    await writer.drain()


async def _end_chunks(writer: asyncio.StreamWriter) -> None:
    writer.write(b"0\r\n\r\n")
    await writer.drain()


def _reason(status: int) -> str:
    return {
        200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
        500: "Internal Server Error", 503: "Service Unavailable", 529: "Overloaded",
    }.get(status, "Error")


def _silent_hold_s(headers: dict[str, str]) -> float:
    try:
        return min(max(float(headers.get(SILENT_HOLD_HEADER, "0")), 0.0), MAX_SILENT_HOLD_S)
    except ValueError:
        return 0.0


def _bearer(value: str) -> str:
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _words(n: int) -> list[str]:
    return [WORDS[i % len(WORDS)] for i in range(n)]


def _model(model_id: str) -> dict[str, Any]:
    return {"type": "model", "id": model_id, "display_name": model_id.replace("-", " ").title(),
            "created_at": "2025-09-29T00:00:00Z"}


def _models_page() -> dict[str, Any]:
    data = [_model(m) for m in LAB_MODELS]
    return {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
