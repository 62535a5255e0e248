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


# The longest frame the parser holds before it gives up. The Messages API's frames are small (a text delta is a
# few hundred bytes; a message_start with a long id list a few KB); 4 MiB is ~1000x the largest seen, and caps
# the memory a hostile server can make the probe hold.
MAX_FRAME_BYTES = 4 * 1024 * 1024


class FrameTooLarge(ValueError):
    """A server sent more than MAX_FRAME_BYTES without ending a frame: not an SSE stream the API would send."""


class SSEParser:
    """Incremental SSE parser: feed bytes, get (event, data) pairs. Tolerates CRLF (also split across chunks)
    and frames split anywhere.

    Linear in the input: each byte is searched once (the search resumes where the last one stopped), and a frame
    longer than `max_frame_bytes` raises FrameTooLarge instead of growing without end. Data that is not valid
    UTF-8 is decoded with replacement characters and counted in `invalid_utf8` (the API never sends it)."""

    def __init__(self, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self._buf = bytearray()
        self._scan = 0  # the next "\n\n" search starts here
        self._held_cr = False  # a chunk ended in "\r": it may be half of a CRLF
        self.max_frame_bytes = max_frame_bytes
        self.invalid_utf8 = 0

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        if self._held_cr:
            chunk = b"\r" + chunk
            self._held_cr = False
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
            self._held_cr = True
        self._buf += chunk.replace(b"\r\n", b"\n")
        events: list[tuple[str, str]] = []
        start = 0
        while True:
            end = self._buf.find(b"\n\n", self._scan)
            if end < 0:
                self._scan = max(start, len(self._buf) - 1)
                break
            self._parse(bytes(self._buf[start:end]), events)
            start = self._scan = end + 2
        if start:
            del self._buf[:start]
            self._scan -= start
        if len(self._buf) > self.max_frame_bytes:
            size = len(self._buf)
            self._buf.clear()
            self._scan = 0
            raise FrameTooLarge(f"{size} bytes without the end of an event (limit {self.max_frame_bytes})")
        return events

    def _parse(self, raw: bytes, events: list[tuple[str, str]]) -> None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.invalid_utf8 += 1
            text = raw.decode("utf-8", "replace")
        event, data_lines = "message", []
        for line in text.split("\n"):
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

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buf) + self._held_cr
