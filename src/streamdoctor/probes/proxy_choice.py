"""Which proxy a given client would use for the API URL. Pure: reads the context and the scan, sends nothing.

Probes that open connections (TCP, TLS, HTTP, idle, stream) ask here, so they take the same path the user's
client takes. The environment scan (probe "env.proxy") refines the answer per client (Claude Code's settings.json
env block, the Python SDK's static Windows/macOS settings, Node ignoring proxy variables by default); without
it, the rule of the Python SDK applies: environment variables only (HTTPS_PROXY/https_proxy, NO_PROXY), never PAC.
A probe that wants the refined answer lists "env.proxy" in its `needs`.
"""

from __future__ import annotations

import os

from ..platform.parse_proxy import env_proxy_for as _env_proxy_for
from .base import ProbeContext

PYTHON_SDK = "python-sdk"
CLAUDE_CODE = "claude-code"
NODE_SDK = "node-sdk"
CLIENTS = (PYTHON_SDK, CLAUDE_CODE, NODE_SDK)


def client_proxy(ctx: ProbeContext, client: str = PYTHON_SDK) -> str | None:
    """The proxy URL `client` would use to reach ctx.base_url, or None for a direct connection. A lab run goes
    direct, always: lab traffic never leaves loopback, so no proxy may see it (issue 14 item 1)."""
    if is_lab_run(ctx):
        return None
    if ctx.proxy:
        return ctx.proxy
    scan = ctx.results.get("env.proxy")
    if scan is not None and scan.data:
        entry = scan.data.get("clients", {}).get(client)
        if isinstance(entry, dict) and "proxy" in entry:
            return entry["proxy"] or None
    return env_proxy_for(ctx.base_url)


def client_proxy_reason(ctx: ProbeContext, client: str = PYTHON_SDK) -> str:
    """Why client_proxy() answered what it did, in words for evidence ("HTTPS_PROXY environment variable")."""
    if is_lab_run(ctx):
        return "the lab runs on loopback: no proxy ever sees lab traffic"
    if ctx.proxy:
        return "set explicitly for this check"
    scan = ctx.results.get("env.proxy")
    if scan is not None and scan.data:
        entry = scan.data.get("clients", {}).get(client)
        if isinstance(entry, dict) and "source" in entry:
            return str(entry["source"])
    return _env_proxy_for(ctx.base_url, os.environ)[1]


def is_lab_run(ctx: ProbeContext) -> bool:
    """A lab run on loopback: direct, with the lab's own key (the same rule as lab/isolation.py's lab_run; asked
    of urls.py here because no probe imports the lab)."""
    from ..urls import is_loopback

    return bool(ctx.lab_profile) and is_loopback(ctx.base_url)


def system_proxy(ctx: ProbeContext) -> str | None:
    """What the OS/browser settings (static, PAC or WinHTTP) say the API URL should use; None for direct or
    unknown. Needs the "env.proxy" scan; without it there is no answer (None)."""
    scan = ctx.results.get("env.proxy")
    if scan is None or not scan.data:
        return None
    system = scan.data.get("system") or {}
    return system.get("proxy") or None


def env_proxy_for(url: str) -> str | None:
    """What the environment says for `url` (HTTPS_PROXY/HTTP_PROXY by scheme, then ALL_PROXY; lower case wins;
    NO_PROXY honoured, including IP ranges)."""
    return _env_proxy_for(url, os.environ)[0]
