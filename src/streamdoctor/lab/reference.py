"""A known-faulty server for checks that need one: the lab's midstream-reset profile on loopback.

The SDK retry check (probes/sdk_retry.py) must see what the installed SDK does when a stream is cut after it
started. That needs a server that cuts streams on purpose; the probe takes its URL from the caller instead of
starting the lab itself, so no probe depends on the lab. The CLI and the GUI hand this factory to the probes
through ProbeContext.reference_server. The server listens on 127.0.0.1 only and accepts only the lab's key.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..protocol.constants import LAB_API_KEY


@contextmanager
def midstream_reset_server() -> Iterator[tuple[str, str]]:
    """Yield (base_url, api_key) of a loopback lab that resets every stream 4 KB into the answer."""
    from .profiles import get_profile
    from .runtime import LabRuntime

    with LabRuntime(get_profile("midstream-reset")) as lab:
        yield lab.url, LAB_API_KEY
