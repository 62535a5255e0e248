"""What every probe gets and gives: a context in, a ProbeResult out, progress as it goes.

A probe is a small object with a name, a title for the checklist, the names of the probes whose results it
needs, and run(ctx, progress, cancel). It measures and never judges: diagnosis reads its data later.
"""

from __future__ import annotations

import contextvars
import functools
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..cancel import CancelToken
from ..errors import Cancelled
from ..model import ProbeResult


@dataclass(frozen=True)
class Progress:
    """One progress report. `fraction` is 0..1 or None when unknown; `detail` is a short live line of text;
    `data` carries live numbers a GUI may chart (bytes, tokens/s, per-connection state...)."""

    probe: str
    fraction: float | None = None
    detail: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


ProgressCallback = Callable[[Progress], None]


def no_progress(_progress: Progress) -> None:
    """A progress callback that ignores everything (tests, CLI --json)."""


@dataclass
class ProbeContext:
    """Where and how to test. Built once by the caller (CLI, GUI, tests) and shared by every probe.

    `results` is filled by the runner with the results of the probes a probe `needs`.
    """

    base_url: str = "https://api.anthropic.com"
    api_key: str = ""
    model: str = "claude-sonnet-5-5"
    lab_profile: str = ""
    quick: bool = False
    ca_file: str = ""  # extra CA to trust (the lab's throwaway CA); never installed anywhere
    proxy: str = ""  # explicit proxy URL; empty means "what the clients would use" (env)
    connect_timeout_s: float = 5.0
    first_byte_timeout_s: float = 120.0
    stall_timeout_s: float = 60.0
    max_tokens: int = 1024
    options: dict[str, Any] = field(default_factory=dict)
    # A factory for a loopback server that cuts every stream mid-answer, yielding (base_url, api_key): the SDK
    # retry check streams from it. Given by the caller (CLI, GUI: lab/reference.py) so no probe imports the lab.
    reference_server: Callable[[], AbstractContextManager[tuple[str, str]]] | None = None
    results: dict[str, ProbeResult] = field(default_factory=dict)

    @property
    def host(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.base_url).hostname or ""

    @property
    def port(self) -> int:
        from urllib.parse import urlsplit

        parts = urlsplit(self.base_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def is_tls(self) -> bool:
        return self.base_url.lower().startswith("https:")


class Probe(Protocol):
    name: str
    title: str
    needs: tuple[str, ...]
    quick: bool  # part of `check --quick`

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult: ...


class Stopwatch:
    """Monotonic elapsed time since creation."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.t0


def run_threads(threads: Iterable[threading.Thread], cancel: CancelToken) -> None:
    """Start `threads` (daemon workers of one probe) and wait for all; raises Cancelled within ~50 ms of a
    cancel. The workers' sockets are closed by the token, so abandoned daemon threads end on their own."""
    started = list(threads)
    for t in started:
        # Each worker runs in a copy of the probe's context, so the language chosen for the run (i18n.using)
        # holds in the texts the worker makes; a new thread would otherwise start without it.
        t.run = functools.partial(contextvars.copy_context().run, t.run)  # type: ignore[method-assign]
        t.start()
    for t in started:
        while t.is_alive():
            t.join(0.05)
            if cancel.cancelled:
                raise Cancelled()
