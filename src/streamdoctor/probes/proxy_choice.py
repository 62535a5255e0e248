"""Which proxy a given client would use for the API URL. Pure: reads the context and the scan, sends nothing.

Probes that open connections (TCP, TLS, HTTP, idle, stream) ask here, so they take the same path the user's
client takes. The environment scan (probe "env.proxy") refines the answer per client; without it, the rule of
the Python SDK applies: environment variables only (HTTPS_PROXY/https_proxy, NO_PROXY), never PAC.
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

from .base import ProbeContext

PYTHON_SDK = "python-sdk"
CLAUDE_CODE = "claude-code"
NODE_SDK = "node-sdk"


def client_proxy(ctx: ProbeContext, client: str = PYTHON_SDK) -> str | None:
    """The proxy URL `client` would use to reach ctx.base_url, or None for a direct connection."""
    if ctx.proxy:
        return ctx.proxy
    scan = ctx.results.get("env.proxy")
    if scan is not None and scan.data:
        entry = scan.data.get("clients", {}).get(client)
        if isinstance(entry, dict) and "proxy" in entry:
            return entry["proxy"] or None
    return env_proxy_for(ctx.base_url)


def env_proxy_for(url: str) -> str | None:
    """What the environment says for `url` (HTTPS_PROXY/HTTP_PROXY by scheme, NO_PROXY honoured)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host and urllib.request.proxy_bypass_environment(host):  # type: ignore[attr-defined]  # not in typeshed
        return None
    proxies = urllib.request.getproxies_environment()
    return proxies.get(parts.scheme) or proxies.get("all") or None
