"""Server-sent events in the shape the Anthropic Messages API sends them.

Shared by the lab (which builds frames) and the probes (which parse them): a probe must never import the lab,
so the wire format both speak lives here, with no dependency on either.
"""

from __future__ import annotations

import json
from typing import Any


def frame(event: str, data: dict[str, Any]) -> bytes:
    """One SSE frame: `event:` line, `data:` line, blank line."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def message_start(message_id: str, model: str, input_tokens: int) -> bytes:
    return frame(
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": input_tokens, "output_tokens": 1},
            },
        },
    )


def content_block_start(index: int = 0) -> bytes:
    return frame(
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
    )


def text_delta(text: str, index: int = 0) -> bytes:
    return frame(
        "content_block_delta",
        {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}},
    )


def content_block_stop(index: int = 0) -> bytes:
    return frame("content_block_stop", {"type": "content_block_stop", "index": index})


def message_delta(output_tokens: int, stop_reason: str = "end_turn") -> bytes:
    return frame(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        },
    )


def message_stop() -> bytes:
    return frame("message_stop", {"type": "message_stop"})


def ping() -> bytes:
    return frame("ping", {"type": "ping"})


def error(error_type: str, message: str) -> bytes:
    return frame("error", {"type": "error", "error": {"type": error_type, "message": message}})


def error_body(error_type: str, message: str, request_id: str) -> bytes:
    """The JSON body of an HTTP error response, as the API sends it."""
    return json.dumps(
        {"type": "error", "error": {"type": error_type, "message": message}, "request_id": request_id}
    ).encode()


class SSEParser:
    """Incremental SSE parser: feed bytes, get (event, data) pairs. Tolerates CRLF and split frames."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        self._buf += chunk.replace(b"\r\n", b"\n")
        events: list[tuple[str, str]] = []
        while b"\n\n" in self._buf:
            raw, self._buf = self._buf.split(b"\n\n", 1)
            event, data_lines = "message", []
            for line in raw.decode("utf-8", "replace").split("\n"):
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "event":
                    event = value
                elif name == "data":
                    data_lines.append(value)
            if data_lines or event != "message":
                events.append((event, "\n".join(data_lines)))
        return events

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buf)
