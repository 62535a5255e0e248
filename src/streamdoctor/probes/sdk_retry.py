"""Does the installed anthropic SDK retry a stream that is cut after it started? (The article's Fix 4.)

Shown, not assumed: the SDK, with its default retry setting, streams from a server that resets the connection
4 KB into the answer, and we count the requests the SDK sent (an httpx event hook on the SDK's own default
client, so the SDK's transport settings stay as user code gets them). One request and a transport error means
the caller must resume by itself, which is what the "sdk-snippet" fix writes for it.

The probe does not start that server: its caller passes one (ProbeContext.reference_server; the CLI and the
GUI pass the lab's loopback midstream-reset server, lab/reference.py). Nothing leaves the machine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from ..cancel import CancelToken
from .sdk_import import load_anthropic

log = logging.getLogger(__name__)

ReferenceServer = Callable[[], AbstractContextManager[tuple[str, str]]]

MAX_REQUESTS_COUNTED = 10  # the SDK retries at most a handful of times; more means something else is wrong


def check_midstream_retry(server: ReferenceServer | None, cancel: CancelToken | None = None,
                          timeout_s: float = 20.0) -> dict[str, Any]:
    """Stream once through the SDK from `server` (a factory yielding (base_url, api_key) of a server that cuts
    every stream mid-answer); returns {"sdk_version", "max_retries", "streams_started", "retried", "error",
    "text_chars", "duration_s"}. Without a server the check is recorded as not run."""
    anthropic = load_anthropic()
    out: dict[str, Any] = {"sdk_version": getattr(anthropic, "__version__", "?"), "profile": "midstream-reset"}
    t0 = time.monotonic()
    if server is None:
        out.update({"error": "check could not run: no reference server given", "retried": None})
        out["duration_s"] = 0.0
        return out
    requests: list[float] = []

    def count(_request: Any) -> None:
        if len(requests) < MAX_REQUESTS_COUNTED:
            requests.append(time.monotonic())

    try:
        with server() as (base_url, api_key):
            # trust_env=False: the reference server is on loopback; a proxy from the environment must never see
            # this traffic (issue 14 item 1). Retries live in the SDK, not the transport, so this changes nothing.
            http_client = anthropic.DefaultHttpxClient(event_hooks={"request": [count]}, trust_env=False)
            client = anthropic.Anthropic(api_key=api_key, base_url=base_url, http_client=http_client,
                                         timeout=anthropic.Timeout(timeout_s, connect=5.0))
            out["max_retries"] = client.max_retries  # the SDK's own default: what user code gets
            chars = 0
            unregister = cancel.on_cancel(client.close) if cancel is not None else (lambda: None)
            try:
                with client.messages.stream(model="claude-sonnet-5-5", max_tokens=400,
                                            messages=[{"role": "user", "content": "hello"}]) as stream:
                    for text in stream.text_stream:
                        chars += len(text)
                out["error"] = ""
            except Exception as exc:  # the point of the check: which error user code sees
                out["error"] = f"{type(exc).__name__}: {exc}"[:200]
            finally:
                unregister()
                client.close()
            out["text_chars"] = chars
            out["streams_started"] = len(requests)
            out["retried"] = len(requests) > 1
    except Exception as exc:  # the check is evidence, never a reason for the stress test to fail
        log.warning("SDK retry check could not run: %s", exc)
        out.update({"error": f"check could not run: {exc}"[:200], "retried": None})
    out["duration_s"] = round(time.monotonic() - t0, 3)
    return out
