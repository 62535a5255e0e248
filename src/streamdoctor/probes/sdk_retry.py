"""Does the installed anthropic SDK retry a stream that is cut after it started? (The article's Fix 4.)

Shown, not assumed: the SDK, with its default retry setting, streams from the built-in lab's midstream-reset
profile (a box that resets the connection 4 KB into the answer) over loopback, and we count how many streams
the lab started. One stream and a transport error means the caller must resume by itself, which is what the
"sdk-snippet" fix writes for it. Nothing leaves the machine.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ..cancel import CancelToken
from .sdk_import import load_anthropic

log = logging.getLogger(__name__)


def check_midstream_retry(cancel: CancelToken | None = None, timeout_s: float = 20.0) -> dict[str, Any]:
    """Run the check; returns {"sdk_version", "max_retries", "streams_started", "retried", "error", "text_chars"}."""
    anthropic = load_anthropic()
    from ..lab import LAB_API_KEY, LabRuntime, get_profile

    out: dict[str, Any] = {"sdk_version": getattr(anthropic, "__version__", "?"), "profile": "midstream-reset"}
    t0 = time.monotonic()
    try:
        with LabRuntime(get_profile("midstream-reset")) as lab:
            # The SDK's own transport (so its retry default is what user code gets), but trust_env=False: lab
            # traffic never goes to a configured proxy (it would see the lab key and `POST 127.0.0.1`).
            client = anthropic.Anthropic(api_key=LAB_API_KEY, base_url=lab.url,
                                         timeout=anthropic.Timeout(timeout_s, connect=5.0),
                                         http_client=anthropic.DefaultHttpxClient(trust_env=False))
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
            out["streams_started"] = lab.api.stats.streams_started
            out["retried"] = lab.api.stats.streams_started > 1
    except Exception as exc:  # the check is evidence, never a reason for the stress test to fail
        log.warning("SDK retry check could not run: %s", exc)
        out.update({"error": f"check could not run: {exc}"[:200], "retried": None})
    out["duration_s"] = round(time.monotonic() - t0, 3)
    return out
