"""Address family variants: the connecting tests forced over IPv4 and forced over IPv6, side by side.

Curl, browsers and Python fall back to IPv4 when IPv6 is broken; Claude Code's runtime (Bun) does not. So a
check that connects "the way the OS does" can pass on a laptop where Claude Code fails on every request. This
probe runs only when DNS returns both families (the only case where the difference matters) and the clients
go direct (a proxy resolves the name itself). Both families run at once: they share no socket and the slower
one (a silent drop waits for its timeout) is what sets the probe's time.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from ...cancel import CancelToken
from ...i18n import N_, _
from ...matrix import describe_family as describe
from ...model import Evidence, ProbeResult, Status
from ..base import ProbeContext, Progress, ProgressCallback, run_threads
from ..netpath import PathError, resolve
from ..proxy_choice import client_proxy
from .wire import close_quietly, http_get, open_path, step_error, stream_once

FAMILIES = (("ipv4", socket.AF_INET), ("ipv6", socket.AF_INET6))
STREAM_TIMEOUT_S = 30.0  # a short answer of a few words; longer than any healthy first event


class AddressFamilyProbe:
    name = "matrix.family"
    title = N_("IPv4 and IPv6 separately")
    needs: tuple[str, ...] = ("dns", "env.proxy")
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        data: dict[str, Any] = {"host": ctx.host, "port": ctx.port, "families": {}}
        if client_proxy(ctx):
            return ProbeResult(self.name, Status.SKIPPED, _("The clients use a proxy, which picks the address family"),
                               {**data, "skipped": "proxy"})
        addresses = _addresses(ctx, cancel)
        if isinstance(addresses, str):
            return ProbeResult(self.name, Status.SKIPPED, _("Not tested: {reason}", reason=addresses),
                               {**data, "skipped": "dns"})
        first = {name: next((a for f, a in addresses if f == fam), None) for name, fam in FAMILIES}
        data["addresses"] = first
        if not (first["ipv4"] and first["ipv6"]):
            only = "IPv4" if first["ipv4"] else "IPv6"
            return ProbeResult(self.name, Status.SKIPPED,
                               _("The name has {family} addresses only: nothing to compare", family=only),
                               {**data, "skipped": "one-family"})
        progress(Progress(self.name, None, _("IPv4 {ipv4} and IPv6 {ipv6} side by side", ipv4=first["ipv4"],
                                             ipv6=first["ipv6"])))
        out: dict[str, dict[str, Any]] = {}
        threads = [threading.Thread(target=_ladder_into, args=(out, name, fam, str(first[name]), ctx, cancel),
                                    name=f"family-{name}", daemon=True) for name, fam in FAMILIES]
        run_threads(threads, cancel)
        data["families"] = out
        evidence = [Evidence(f"{name.upper().replace('IPV', 'IPv')} ({first[name]})", describe(out.get(name, {})))
                    for name, _ in FAMILIES]
        worked = {name: bool(out.get(name, {}).get("ok")) for name, _ in FAMILIES}
        if all(worked.values()):
            return ProbeResult(self.name, Status.OK, _("IPv4 and IPv6 both carry requests to the API"), data, evidence)
        if any(worked.values()):
            bad = next(n for n, ok in worked.items() if not ok)
            good = next(n for n, ok in worked.items() if ok)
            return ProbeResult(self.name, Status.FAIL, _("{bad} fails ({why}); {good} works", bad=_label(bad),
                                                         why=describe(out[bad]), good=_label(good)), data, evidence)
        return ProbeResult(self.name, Status.FAIL, _("Neither IPv4 nor IPv6 reaches the API"), data, evidence)


def _addresses(ctx: ProbeContext, cancel: CancelToken) -> list[tuple[int, str]] | str:
    dns = ctx.results.get("dns")
    if dns is not None and dns.data.get("addresses"):
        v4 = [(int(socket.AF_INET), str(a)) for a in dns.data.get("ipv4", [])]
        v6 = [(int(socket.AF_INET6), str(a)) for a in dns.data.get("ipv6", [])]
        return v4 + v6
    try:
        return resolve(ctx.host, ctx.port, ctx.connect_timeout_s, cancel)
    except PathError as exc:
        return exc.detail


def _ladder_into(out: dict[str, dict[str, Any]], name: str, family: int, address: str, ctx: ProbeContext,
                 cancel: CancelToken) -> None:
    """TCP, TLS, an HTTP answer and (with a key) a short stream, all to `address`; the first broken step ends
    the ladder and names the family's outcome."""
    steps: dict[str, Any] = {"address": address}
    out[name] = steps
    t0 = time.monotonic()
    timeout = ctx.connect_timeout_s
    sock = None
    try:
        sock = open_path(family, address, ctx.host, ctx.port, ctx.is_tls, timeout, cancel, steps)
        steps["http"] = http_get(sock, ctx.host, "/v1/models", timeout, cancel)
        close_quietly(sock)
        sock = None
        # The short stream needs a key, and is left to the full check: the quick check streams nothing today.
        if steps["http"].get("ok") and ctx.api_key and not ctx.quick:
            sock = open_path(family, address, ctx.host, ctx.port, ctx.is_tls, timeout, cancel, {})
            steps["stream"] = stream_once(sock, ctx.host, ctx.api_key, ctx.model,
                                          float(ctx.options.get("family_stream_timeout_s", STREAM_TIMEOUT_S)),
                                          cancel)
    except (PathError, OSError) as exc:
        steps.setdefault("error", step_error(exc))
    finally:
        close_quietly(sock)
    # An HTTP status on the stream (429, 529, a refused key) is the API's answer, so the path carried it.
    failed = next((k for k in ("tcp", "tls", "http", "stream") if k in steps and not steps[k].get("ok")
                   and steps[k].get("kind") != "http-status"), None)
    steps["ok"] = failed is None and "http" in steps
    steps["failed_step"] = failed
    steps["time_s"] = time.monotonic() - t0


def _label(name: str) -> str:
    return {"ipv4": "IPv4", "ipv6": "IPv6"}.get(name, name)
