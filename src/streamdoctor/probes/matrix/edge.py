"""The API's edge, in its own words: which CDN site answered and the ray id, so IT can see "resets only
through site X" and quote an id the CDN can look up.

The API sits behind Cloudflare; `/cdn-cgi/trace` on the API host answers a few key=value lines (colo = the
site, http, tls, sni, warp, gateway) and every answer carries a `cf-ray` header ("<id>-<site>"). The client's
public address (`ip=`) in the trace is not kept: it is not needed to name the site and it identifies the user.
A gateway, proxy or the lab that does not speak for Cloudflare simply has no trace: recorded as such.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

from ...cancel import CancelToken
from ...i18n import N_, _
from ...model import Evidence, ProbeResult, Status
from ..base import ProbeContext, Progress, ProgressCallback
from ..netpath import PathError, open_route
from .wire import close_quietly, http_get, step_error

TRACE_KEYS = ("colo", "loc", "http", "tls", "sni", "warp", "gateway", "kex")  # never "ip": it names the user
EDGE_TIMEOUT_S = 5.0


def parse_trace(text: str) -> dict[str, str]:
    """The key=value lines of a /cdn-cgi/trace answer, keeping only TRACE_KEYS."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key in TRACE_KEYS and value:
            out[key] = value[:64]
    return out


def ray_site(ray: str) -> str:
    """'8f1c2d3e4a5b6c7d-FRA' -> 'FRA'."""
    return ray.rsplit("-", 1)[1] if "-" in ray else ""


class EdgeProbe:
    name = "matrix.edge"
    title = N_("The API's edge site")
    needs: tuple[str, ...] = ("env.proxy",)
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        progress(Progress(self.name, None, _("asking the API's edge which site answers")))
        timeout = float(ctx.options.get("edge_timeout_s", EDGE_TIMEOUT_S))
        data: dict[str, Any] = {"url": ctx.base_url.rstrip("/") + "/cdn-cgi/trace", "trace": {}}
        r = _get_trace(ctx, cancel, timeout)
        headers = {k.lower(): v for k, v in r.get("headers", [])}
        data.update(status=r.get("status"), cf_ray=headers.get("cf-ray", ""), server=headers.get("server", "")[:80],
                    via_proxy=r.get("proxy"))
        if not r.get("ok"):
            data["error"] = r.get("error", "")
            return ProbeResult(self.name, Status.SKIPPED,
                               _("The edge could not be asked: {reason}", reason=r.get("error", "")),
                               data)
        if r.get("status") == 200 and "text/plain" in headers.get("content-type", ""):
            data["trace"] = parse_trace(str(r.get("body_start", "")))
        site = data["trace"].get("colo") or ray_site(data["cf_ray"])
        data["site"] = site
        if not site:
            return ProbeResult(self.name, Status.OK, _("The API's edge does not name its site here (HTTP {status})",
                                                       status=r.get("status")), data)
        evidence = [Evidence(_("Edge site"), site)]
        if data["cf_ray"]:
            evidence.append(Evidence(_("Ray id"), data["cf_ray"]))
        if data["trace"]:
            evidence.append(Evidence(_("Edge trace"), ", ".join(f"{k}={v}" for k, v in data["trace"].items())))
        return ProbeResult(self.name, Status.OK, _("Answered by the edge site {site}", site=site), data, evidence)


def _get_trace(ctx: ProbeContext, cancel: CancelToken, timeout: float) -> dict[str, Any]:
    """GET /cdn-cgi/trace on the clients' route (through their proxy when they use one) over a bare socket:
    the site's name needs no certificate check (the TLS probe checks it) and no HTTP client to set up."""
    try:
        route = open_route(ctx, cancel, timeout)
    except PathError as exc:
        return {"ok": False, "error": exc.detail}
    sock: socket.socket | ssl.SSLSocket = route.sock
    try:
        if ctx.is_tls:
            tls = ssl.create_default_context()
            tls.check_hostname = False
            tls.verify_mode = ssl.CERT_NONE
            sock.settimeout(timeout)
            with cancel.closing(sock.close):
                sock = tls.wrap_socket(sock, server_hostname=ctx.host)
        return {**http_get(sock, ctx.host, "/cdn-cgi/trace", timeout, cancel), "proxy": route.proxy}
    except (OSError, ssl.SSLError) as exc:
        return {"ok": False, **step_error(exc)}
    finally:
        close_quietly(sock)
