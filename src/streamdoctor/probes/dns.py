"""DNS: what the system resolver answers for the API host, how fast, and over which address families.

It asks the same resolver the clients use (getaddrinfo), so a hosts-file entry, a split-DNS VPN or a captive
portal's fake answers show up exactly as the clients see them.
"""

from __future__ import annotations

import ipaddress
import socket
import time

from ..cancel import CancelToken
from ..i18n import N_, _
from ..model import Evidence, ProbeResult, Status
from .base import ProbeContext, Progress, ProgressCallback
from .netpath import PathError, resolve
from .proxy_choice import client_proxy

DNS_TIMEOUT_S = 5.0


class DNSProbe:
    name = "dns"
    title = N_("Name lookup (DNS)")
    needs: tuple[str, ...] = ("env.proxy",)  # the proxy the clients use, as the scan refined it
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        host = ctx.host
        proxy = client_proxy(ctx)
        data: dict[str, object] = {"host": host, "addresses": [], "ipv4": [], "ipv6": [], "time_s": None,
                                   "error": None, "error_kind": None, "literal": False,
                                   "proxied": bool(proxy), "private_answer": False}
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            data.update(addresses=[str(literal)], literal=True, time_s=0.0,
                        ipv4=[str(literal)] if literal.version == 4 else [],
                        ipv6=[str(literal)] if literal.version == 6 else [])
            return ProbeResult(self.name, Status.OK, _("{host} is an address: no lookup needed", host=host), data)
        progress(Progress(self.name, None, _("looking up {host}", host=host)))
        t0 = time.monotonic()
        try:
            answers = resolve(host, ctx.port, float(ctx.options.get("dns_timeout_s", DNS_TIMEOUT_S)), cancel)
        except PathError as exc:
            data.update(error=exc.detail, error_kind=exc.kind, time_s=time.monotonic() - t0,
                        errno=exc.info.get("errno"))
            summary: str = exc.detail
            if proxy:  # the proxy resolves for the clients: a local failure alone does not stop them
                summary = _("{error}; the clients use a proxy, which looks names up itself", error=exc.detail)
            return ProbeResult(self.name, Status.WARN if proxy else Status.FAIL, summary, data,
                               [Evidence(_("Lookup error"), exc.detail),
                                Evidence(_("Lookup time"), data["time_s"], "s")],
                               error=exc.detail)
        elapsed = time.monotonic() - t0
        addresses = [a for _, a in answers]
        v4 = [a for f, a in answers if f == socket.AF_INET]
        v6 = [a for f, a in answers if f == socket.AF_INET6]
        data.update(addresses=addresses, ipv4=v4, ipv6=v6, time_s=elapsed,
                    private_answer=_private_answer_for_public_name(host, addresses))
        evidence = [Evidence(_("Addresses"), ", ".join(addresses)), Evidence(_("Lookup time"), round(elapsed, 3), "s")]
        return ProbeResult(self.name, Status.OK,
                           _("{host} -> {addresses} in {ms:.0f} ms", host=host, addresses=", ".join(addresses[:4]),
                             ms=elapsed * 1000), data, evidence)


def _private_answer_for_public_name(host: str, addresses: list[str]) -> bool:
    """A public API name answered only with private addresses: a split-DNS gateway, or a captive portal's fake
    answer. Evidence for the captive-portal rule, not proof of anything on its own."""
    if not host.endswith("anthropic.com") or not addresses:
        return False
    try:
        return all(ipaddress.ip_address(a).is_private for a in addresses)
    except ValueError:
        return False
