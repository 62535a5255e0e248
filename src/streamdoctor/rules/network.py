"""Rules over the network probes: DNS, proxy, TCP, TLS inspection, reachability, large ClientHello, path MTU.

One root cause, one finding: a name that does not resolve also breaks TCP, TLS and HTTP, so the later rules
stay quiet when an earlier stage already explains the failure (dns -> proxy -> tcp -> tls -> http).
Failure-mode numbers are the rows of DESIGN.md's table.

Every text a user reads is marked for translation (i18n: whole sentences, named placeholders). The API host in
advice to IT is the placeholder {api}, filled with DEFAULT_API_HOST, so diagnose() can name a gateway instead and
the text still re-says itself in English for IT.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..claude_advice import from_clients, trust_advice
from ..diagnosis import DEFAULT_API_HOST, Results, rule
from ..i18n import _
from ..model import Confidence, Evidence, Finding, Severity, Status

PROXY_FIXES = ["claude-code-proxy", "env-proxy"]
CA_FIXES = ["claude-code-ca", "env-ca"]
# Headers that only a box in the middle adds (Server alone says nothing: the API sends one too).
REVEALING_HEADERS = ("via", "x-cache", "x-cache-lookup", "x-squid-error", "proxy-agent", "x-bluecoat-via",
                     "x-zscaler-transaction-id", "x-iwsaas", "x-netskope-inspected", "x-fortigate", "x-proxy-id")


def _data(results: Results, name: str) -> dict[str, Any] | None:
    r = results.get(name)
    if r is None or r.status in (Status.SKIPPED, Status.CANCELLED) or not r.data:
        return None
    return r.data


def _host(results: Results) -> str:
    for name in ("dns", "tcp", "tls"):
        d = _data(results, name)
        if d and d.get("host"):
            return str(d["host"])
    return _("the API host")


def _dns_failed(results: Results) -> bool:
    d = _data(results, "dns")
    return bool(d and d.get("error") and not d.get("proxied"))


def _proxy_failed(results: Results) -> bool:
    d = _data(results, "tcp")
    via = (d or {}).get("via_proxy")
    return isinstance(via, dict) and not via.get("ok")


def _no_tcp(results: Results) -> bool:
    d = _data(results, "tcp")
    if not d:
        return False
    used = d.get("via_proxy") if d.get("proxy") else d.get("direct")
    return isinstance(used, dict) and bool(used) and not used.get("ok")


def _captive_portal(results: Results) -> dict[str, Any] | None:
    """Evidence of a captive portal: a redirect to another host where the API should answer, or a certificate
    for a different name (with the HTTP answer not being the API's)."""
    host = _host(results)
    http = _data(results, "http") or {}
    tls = _data(results, "tls") or {}
    for key in ("h1", "h1_unverified", "h2", "h2_unverified"):
        r = http.get(key) or {}
        if r.get("verdict") == "redirect":
            target = urlsplit(r.get("location", "")).hostname or ""
            if target and target != host:
                return {"how": "redirect", "location": r.get("location"), "status": r.get("status")}
    if tls and tls.get("hostname_match") is False and not http.get("reached_api"):
        return {"how": "certificate", "names": tls.get("leaf_names", []), "issuer": tls.get("issuer", "")}
    return None


@rule("network.dns")
def dns_failure(results: Results) -> Finding | None:
    d = _data(results, "dns")
    if not d or not d.get("error"):
        return None
    host, t = d.get("host") or _("the API host"), float(d.get("time_s") or 0.0)
    ev = [Evidence(_("Name looked up"), host), Evidence(_("Resolver answer"), d["error"]),
          Evidence(_("Time until the answer"), round(t, 2), "s")]
    if d.get("proxied"):
        return Finding(
            "network.dns", "dns-local-only", Severity.INFO, Confidence.MEDIUM,
            _("The name does not resolve locally"),
            _("This computer cannot look up {host} ({secs:.1f} s), but the clients use a proxy, which looks names "
              "up itself, so this alone does not stop them.", host=host, secs=t), ev, failure_mode=11,
        )
    if d.get("error_kind") == "dns-timeout":
        plain = _("This computer could not find the address of {host}: the name lookup got no answer within "
                  "{secs:.0f} s. Without it nothing can reach Claude: check that you are online (Wi-Fi, cable, "
                  "VPN) and that the network's DNS server works.", host=host, secs=t)
    else:
        plain = _("This computer could not find the address of {host}: the name lookup failed after {secs:.1f} s. "
                  "Without it nothing can reach Claude: check that you are online (Wi-Fi, cable, VPN) and that the "
                  "network's DNS server works.", host=host, secs=t)
    return Finding(
        "network.dns", "dns-failure", Severity.PROBLEM, Confidence.HIGH, _("The API's name cannot be looked up"),
        plain, ev,
        ask_it=_("DNS lookups of {host} fail on this laptop ({error}). Please check the DNS servers handed out by "
                 "DHCP/VPN and any DNS filtering of anthropic.com.", host=host, error=d["error"]),
        failure_mode=11,
    )


@rule("network.proxy")
def proxy_problem(results: Results) -> Finding | None:
    """The proxy the clients use refused or broke the CONNECT: 407, 403, an HTML page, SOCKS, unreachable."""
    d = _data(results, "tcp")
    via = (d or {}).get("via_proxy")
    if not d or not via or via.get("ok"):
        return None
    proxy, kind = d.get("proxy") or _("the proxy"), via.get("kind", "")
    reply = via.get("reply") or {}
    error = via.get("error", "")
    ev = [Evidence(_("Proxy the clients use"), proxy), Evidence(_("Proxy answer"), error, "", _reply_text(reply))]
    host = d.get("host") or _("the API host")
    if kind == "proxy-auth":
        schemes = via.get("auth_schemes") or []
        basic = any(s.lower() == "basic" for s in schemes)
        # Scheme names (Basic, Negotiate) are protocol tokens: listed as they are.
        offered = ", ".join(schemes) or _("no scheme named")
        if via.get("credentials_sent"):
            plain = _("The proxy {proxy} rejected the user name and password in the proxy setting (HTTP 407; it "
                      "accepts {offered}). Check them and update HTTPS_PROXY.", proxy=proxy, offered=offered)
        elif basic:
            plain = _("The proxy {proxy} asks for a login (HTTP 407, {offered}) and the clients send none. Put the "
                      "login into the proxy setting: HTTPS_PROXY=http://USER:PASSWORD@host:port.",
                      proxy=proxy, offered=offered)
        else:
            plain = _("The proxy {proxy} asks for a Windows/Kerberos login (HTTP 407, {offered}), which Claude "
                      "Code and the SDKs cannot do. A local gateway that logs in for them (e.g. Px or CNTLM) or an "
                      "exemption of the API host is needed.", proxy=proxy, offered=offered)
        return Finding("network.proxy", "proxy-auth", Severity.PROBLEM, Confidence.HIGH,
                       _("The proxy asks for a login"), plain, ev, PROXY_FIXES,
                       ask_it=_("Our proxy {proxy} answers 407 Proxy Authentication Required ({offered}) to "
                                "CONNECT {host}:443. Please allow {api} without authentication or provide Basic "
                                "credentials for a service account.",
                                proxy=proxy, offered=offered, host=host, api=DEFAULT_API_HOST),
                       failure_mode=7)
    if kind == "proxy-unsupported":
        return Finding("network.proxy", "proxy-socks", Severity.PROBLEM, Confidence.HIGH,
                       _("The proxy setting cannot be used"),
                       _("The clients are told to use {proxy}, {error}. Use the HTTP proxy address instead "
                         "(HTTPS_PROXY=http://host:port).", proxy=proxy, error=error),
                       ev, PROXY_FIXES, failure_mode=7)
    if kind in ("proxy-unreachable", "proxy-dns"):
        return Finding("network.proxy", "proxy-unreachable", Severity.PROBLEM, Confidence.HIGH,
                       _("The proxy cannot be reached"),
                       _("The clients are set to use the proxy {proxy}, but it cannot be reached: {error}. Fix or "
                         "remove the proxy setting.", proxy=proxy, error=error),
                       ev, PROXY_FIXES, failure_mode=7)
    status = reply.get("status")
    squid = next((v for k, v in reply.get("headers", []) if k.lower() == "x-squid-error"), "")
    # The proxy's own status line (protocol tokens) or the probe's error: quoted as it is.
    what = f"HTTP {status} {reply.get('reason', '')}".strip() if status else error
    page = _first_words(reply.get("body_start", ""))
    if squid:
        plain = _("The proxy {proxy} refused to open a connection to {host} ({what}, {squid}). Its page says: "
                  "{page}", proxy=proxy, host=host, what=what, squid=squid, page=page)
    else:
        plain = _("The proxy {proxy} refused to open a connection to {host} ({what}). Its page says: {page}",
                  proxy=proxy, host=host, what=what, page=page)
    return Finding(
        "network.proxy", "proxy-denied" if kind == "proxy-denied" else "proxy-error", Severity.PROBLEM,
        Confidence.HIGH, _("The proxy refuses the connection to the API"), plain, ev, PROXY_FIXES,
        ask_it=_("Our proxy {proxy} refuses CONNECT {host}:443 ({what}). Please allow {api}.",
                 proxy=proxy, host=host, what=what, api=DEFAULT_API_HOST),
        failure_mode=7,
    )


@rule("network.tcp")
def no_connection(results: Results) -> Finding | None:
    """No TCP connection without a proxy. When the OS has a proxy the clients ignore, that is the cause (6)."""
    d = _data(results, "tcp")
    if not d or d.get("proxy") or not _no_tcp(results) or _dns_failed(results):
        return None
    direct = d.get("direct") or {}
    host, port = d.get("host") or _("the API host"), d.get("port", 443)
    error, secs = direct.get("error", ""), float(direct.get("time_s") or 0)
    ev = [Evidence(_("Direct connection"), error), Evidence(_("Time until it failed"), round(secs, 2), "s")]
    # A port is an identifier, not a quantity: passed as text so no language groups its digits.
    port = str(port)
    system = _system_proxy(results)
    if system:
        ev.append(Evidence(_("Proxy in the system settings"), system))
        return Finding(
            "network.tcp", "proxy-not-used", Severity.PROBLEM, Confidence.HIGH,
            _("The clients do not use your company's proxy"),
            _("Your system settings send web traffic through the proxy {system}, but Claude Code and the SDKs "
              "only read proxy environment variables, which are empty, so they try {host}:{port} directly and "
              "fail ({error}).", system=system, host=host, port=port, error=error),
            ev, PROXY_FIXES, failure_mode=6,
        )
    return Finding(
        "network.tcp", "no-connection", Severity.PROBLEM, Confidence.HIGH, _("The API host cannot be reached"),
        _("Connecting to {host}:{port} failed ({error}) after {secs:.1f} s: a firewall blocks it or the network "
          "is down.", host=host, port=port, error=error, secs=secs),
        ev, ask_it=_("Outgoing TCP connections from this laptop to {host}:{port} fail ({kind}). Please allow "
                     "{host}:{port}.", host=host, port=port, kind=direct.get("kind", "")),
        failure_mode=11,
    )


@rule("network.tls")
def tls_inspection(results: Results) -> Finding | None:
    d = _data(results, "tls")
    if not d or _dns_failed(results) or _proxy_failed(results) or _no_tcp(results):
        return None
    host = d.get("host") or _("the API host")
    if d.get("error_kind") in ("reset", "closed", "timeout"):
        ch = _data(results, "clienthello") or {}
        if ch.get("dropped_large"):
            return None  # the ClientHello rule explains it
        return Finding("network.tls", "tls-cut", Severity.PROBLEM, Confidence.MEDIUM,
                       _("Secure connections to the API are cut"),
                       _("The TCP connection to {host} works, but the TLS handshake fails: {error}. A firewall or "
                         "security product that filters by name usually does this.",
                         host=host, error=d.get("error", "")),
                       [Evidence(_("TLS handshake"), d.get("error", ""))],
                       ask_it=_("TLS handshakes to {host}:443 are cut ({kind}) while TCP connects. Please check "
                                "the firewall/DPI policy for {api}.",
                                host=host, kind=d.get("error_kind"), api=DEFAULT_API_HOST))
    if _captive_portal(results):
        return None  # the captive-portal rule explains a certificate for another name
    ev = [Evidence(_("Certificate for"), d.get("leaf_subject", "")), Evidence(_("Issued by"), d.get("issuer", "")),
          Evidence(_("Root"), d.get("root_subject", "")),
          Evidence(_("Trusted by Mozilla's list (certifi)"), d.get("verify_mozilla")),
          Evidence(_("Trusted by this computer's store"), d.get("verify_os"))]
    if d.get("inspected"):
        inspector = d.get("inspector") or _("an unknown product")
        issuer = _cn(d.get("issuer", ""))
        if d.get("verify_os"):
            cc = from_clients(_clients_data(results))
            # TRANSLATORS: {advice} is a sentence of its own saying how Claude Code trusts that CA.
            plain = _("Your connection to {host} is decrypted and re-encrypted by {inspector}: the certificate was "
                      "issued by '{issuer}', not by a public authority. This computer trusts that company CA. "
                      "{advice} Such proxies also often cut long streams.",
                      host=host, inspector=inspector, issuer=issuer, advice=trust_advice(cc))
        else:
            plain = _("Your connection to {host} is decrypted and re-encrypted by {inspector}: the certificate was "
                      "issued by '{issuer}', not by a public authority. Not even this computer trusts that CA yet, "
                      "so every client fails its certificate check.", host=host, inspector=inspector, issuer=issuer)
        # A product from the table is certain; an unnamed CA could also be a public root that certifi lacks.
        confidence = Confidence.HIGH if d.get("inspector_kind") else Confidence.MEDIUM
        return Finding(
            "network.tls", "tls-inspection", Severity.PROBLEM, confidence,
            _("TLS inspection by {inspector}", inspector=inspector), plain, ev, CA_FIXES,
            ask_it=_("{inspector} inspects TLS to {host} (issuer '{issuer}'). Please exempt {api} from TLS "
                     "inspection (it carries long-lived streams), or confirm the CA to install for Claude Code "
                     "(NODE_EXTRA_CA_CERTS) and Python (SSL_CERT_FILE).",
                     inspector=inspector, host=host, issuer=issuer, api=DEFAULT_API_HOST),
            failure_mode=5,
        )
    if d.get("hostname_match") is False:
        names = ", ".join(d.get("leaf_names", [])[:4]) or d.get("leaf_subject", "")
        return Finding(
            "network.tls", "tls-wrong-name", Severity.PROBLEM, Confidence.MEDIUM,
            _("The certificate is for another name"),
            _("The server answering for {host} presents a certificate for {names}: a gateway or proxy answers in "
              "the API's place with the wrong certificate, and every client refuses it.", host=host, names=names),
            ev, ask_it=_("Connections to {host} get a certificate for {names}. Which device answers, and can {api} "
                         "be exempted?", host=host, names=names, api=DEFAULT_API_HOST),
        )
    if d.get("untrusted"):
        issuer = _cn(d.get("issuer", ""))
        return Finding(
            "network.tls", "tls-untrusted", Severity.PROBLEM, Confidence.MEDIUM,
            _("The API's certificate is not trusted"),
            _("The certificate presented for {host} was issued by '{issuer}', which neither Mozilla's list nor "
              "this computer trusts. Something between you and Anthropic answers in its place: an inspecting "
              "proxy whose CA is not installed, or a captive portal.", host=host, issuer=issuer),
            ev, CA_FIXES,
            ask_it=_("Connections to {host} present a certificate issued by '{issuer}'. Which device does that, "
                     "and can {api} be exempted?", host=host, issuer=issuer, api=DEFAULT_API_HOST),
            failure_mode=5,
        )
    return None


@rule("network.captive-portal")
def captive_portal(results: Results) -> Finding | None:
    if _dns_failed(results) or _proxy_failed(results):
        return None
    portal = _captive_portal(results)
    if portal is None:
        return None
    host = _host(results)
    if portal["how"] == "redirect":
        # An HTTP status is a code, not a quantity: passed as text so no language groups its digits.
        plain = _("Requests to {host} are answered with HTTP {status}, a redirect to {location}: a login page "
                  "(hotel, airport or guest Wi-Fi) is in the way. Open a browser, log in or accept the terms, then "
                  "try again.", host=host, status=str(portal["status"]), location=portal["location"])
        ev = [Evidence(_("Redirected to"), portal["location"]), Evidence(_("HTTP status"), portal["status"])]
    else:
        names = ", ".join(portal["names"][:4]) or _("another name")
        plain = _("The secure connection to {host} is answered with a certificate for {names}, not for {host}: a "
                  "login page (hotel, airport or guest Wi-Fi) or a block page is in the way. Open a browser, log in "
                  "or accept the terms, then try again.", host=host, names=names)
        ev = [Evidence(_("Certificate names"), names), Evidence(_("Issued by"), portal["issuer"])]
    dns = _data(results, "dns") or {}
    if dns.get("private_answer"):
        ev.append(Evidence(_("DNS answered private addresses"), ", ".join(dns.get("addresses", []))))
    return Finding("network.captive-portal", "captive-portal", Severity.PROBLEM,
                   Confidence.HIGH if portal["how"] == "redirect" else Confidence.MEDIUM,
                   _("A login page is in the way"), plain, ev, failure_mode=11)


@rule("network.http")
def api_not_reached(results: Results) -> Finding | None:
    """The HTTP check did not get the API's 401 and no earlier stage explains why."""
    d = _data(results, "http")
    if not d or d.get("reached_api") or _dns_failed(results) or _proxy_failed(results) or _no_tcp(results):
        return None
    if _captive_portal(results) or tls_inspection(results) is not None:
        return None
    h1 = d.get("h1") or {}
    if h1.get("kind") in ("setup", "client-unsupported"):
        return None  # our client could not be set up: nothing was sent, so nothing is known about the path
    if h1.get("verdict") == "html" and not d.get("proxy"):
        return None  # the server at the URL itself is not the API: "could not test" (the probe says so)
    if (_data(results, "tls") or {}).get("error_kind") == "not-tls":
        return None  # nothing speaks TLS at that URL: a wrong URL or port, "could not test"
    host = _host(results)
    if h1.get("verdict") == "proxy-auth":
        return Finding("network.http", "proxy-auth", Severity.PROBLEM, Confidence.HIGH,
                       _("The proxy asks for a login"),
                       _("Requests to {host} are answered 407 by the proxy {proxy}: it wants a login the clients do "
                         "not send.", host=host, proxy=d.get("proxy")),
                       [Evidence(_("HTTP status"), 407)], PROXY_FIXES, failure_mode=7)
    what: str
    if h1.get("verdict") != "error":
        what = _("HTTP {status} with {content_type}", status=str(h1.get("status")),
                 content_type=h1.get("content_type") or _("no content type"))
    else:
        what = f"{h1.get('kind')}: {h1.get('error')}"  # the error kind and the client's message, as they are
    return Finding(
        "network.http", "api-not-reached", Severity.PROBLEM, Confidence.MEDIUM, _("The API does not answer"),
        _("A request to {url} did not get the API's answer ({what}) although the connection works: something on "
          "the way answers in its place or drops the request.", url=d.get("url"), what=what),
        [Evidence(_("Answer"), what, "", h1.get("body_start", ""))],
        ask_it=_("HTTPS requests to {host} from this laptop get {what} instead of the API's answer. Please check "
                 "the proxy/firewall policy for {api}.", host=host, what=what, api=DEFAULT_API_HOST),
        failure_mode=11,
    )


@rule("network.client-unsupported")
def client_setting_unsupported(results: Results) -> Finding | None:
    """A client setting the SDK's HTTP stack cannot use (a SOCKS proxy without socksio): say that plainly, as a
    problem of the setting, not of the network (issue 14 item 7)."""
    d = _data(results, "http") or {}
    h1 = d.get("h1") or {}
    if h1.get("kind") != "client-unsupported":
        return None
    proxy = d.get("proxy") or ""
    return Finding(
        "network.client-unsupported", "client-setting-unsupported", Severity.PROBLEM, Confidence.HIGH,
        _("A proxy setting your clients cannot use"),
        _("The proxy setting {proxy} is a SOCKS proxy. The anthropic Python SDK as installed cannot use it (it "
          "needs the optional socksio package: pip install 'httpx2[socks]'), and Claude Code supports only http:// "
          "proxies. Requests fail before they leave this computer, so the network was not tested through it. Use "
          "an http:// proxy address if your company has one, or install socksio for Python.", proxy=proxy),
        [Evidence(_("Client error"), str(h1.get("error", ""))[:200])], [],
    )


@rule("network.plain-http")
def plain_http(results: Results) -> Finding | None:
    """An http:// endpoint on another machine: the API key crosses the network in cleartext (issue 14 item 9)."""
    r = results.get("tls")
    d = r.data if r is not None else None
    if not d or not d.get("plain_http") or d.get("loopback"):
        return None
    # Sent with the user's explicit consent (--allow-plain-http, or Yes when asked): they know, so it does not
    # make the verdict a problem or lead the headline; the request to IT stays in the report.
    consented = bool(d.get("consented"))
    return Finding(
        "network.plain-http", "plain-http", Severity.INFO if consented else Severity.WARNING, Confidence.HIGH,
        _("Plain HTTP: your key travels in cleartext") if consented
        else _("Plain HTTP: your key would travel in cleartext"),
        _("The endpoint is plain http://, not https://: the API key in every request, and every question and "
          "answer, cross the network readable by anyone on the path. Use the https:// address of the gateway."),
        [Evidence(_("Endpoint scheme"), _("http (no TLS)")),
         Evidence(_("Key sent"), _("yes, you allowed it") if consented
                  else _("no: only the checks that need no key ran"))],
        ask_it=_("Our Anthropic API gateway is reachable only over plain HTTP, so API keys cross the network in "
                 "cleartext. Please serve it over HTTPS."),
    )


@rule("network.middlebox")
def middlebox_headers(results: Results) -> Finding | None:
    """A box that announces itself (Via, X-Cache...) on the API path: not a fault, but worth knowing."""
    if _proxy_failed(results):
        return None  # the proxy rule already shows its answer
    found: dict[str, str] = {}
    for name in ("http", "tcp"):
        d = _data(results, name) or {}
        for src in [d.get("middlebox_headers") or {}, (d.get("via_proxy") or {}).get("middlebox_headers") or {}]:
            found.update({k: v for k, v in src.items() if k.lower() in REVEALING_HEADERS})
    if not found:
        return None
    shown = "; ".join(f"{k}: {v}" for k, v in list(found.items())[:4])  # header lines, quoted as they are
    return Finding("network.middlebox", "proxy-on-path", Severity.INFO, Confidence.HIGH, _("A proxy is on the way"),
                   _("Answers from the API pass through a proxy that identifies itself ({headers}). Its timeouts "
                     "apply to every stream.", headers=shown),
                   [Evidence(k, v) for k, v in found.items()], failure_mode=2)


@rule("network.clienthello")
def large_clienthello(results: Results) -> Finding | None:
    d = _data(results, "clienthello")
    if not d or not d.get("dropped_large") or _dns_failed(results) or _proxy_failed(results):
        return None
    small, large = d["small"], d["large"]
    return Finding(
        "network.clienthello", "large-clienthello", Severity.PROBLEM, Confidence.HIGH,
        _("Large TLS hellos are dropped"),
        _("A {small}-byte TLS hello to the API got an answer, a {large}-byte one (the size current browsers and Node "
          "send, with a post-quantum key) did not ({outcome} after {secs:.1f} s). A firewall, VPN or DPI device "
          "drops hellos that span two packets, so modern clients cannot connect.",
          small=small["bytes"], large=large["bytes"], outcome=large["outcome"],
          secs=float(large.get("time_s") or 0)),
        [Evidence(_("Small hello"), _("{size} B: {outcome}", size=small["bytes"], outcome=small["outcome"])),
         Evidence(_("Large hello"), _("{size} B: {outcome}", size=large["bytes"], outcome=large["outcome"]))],
        ask_it=_("A device on our network drops TLS ClientHellos larger than one TCP segment (post-quantum key "
                 "shares, {size} bytes) to {api}. Please update its firmware/DPI rules or exempt the host.",
                 size=large["bytes"], api=DEFAULT_API_HOST),
        failure_mode=8,
    )


@rule("network.mtu")
def mtu_black_hole(results: Results) -> Finding | None:
    d = _data(results, "mtu")
    if not d or _dns_failed(results) or _proxy_failed(results):
        return None
    mtu, iface_mtu = d.get("path_mtu"), d.get("interface_mtu")
    iface = d.get("interface") or _("your network adapter")
    large = d.get("large_request") or {}
    big = large.get("large") or {}
    kb, secs = int(large.get("large_bytes", 0)) // 1024, float(big.get("time_s") or 0)
    ev = [Evidence(_("Path MTU"), mtu if mtu else _("unknown"), _("bytes") if mtu else "",
                   _("method: {method}", method=d.get("method"))),
          Evidence(_("MTU of {iface}", iface=iface), iface_mtu or "?", _("bytes")),
          Evidence(_("Large request ({kb} KB)", kb=kb),
                   _("no answer ({kind}) after {secs:.1f} s", kind=big.get("kind"), secs=secs)
                   if d.get("black_hole") else _("answered"))]
    if d.get("black_hole"):
        if mtu and iface_mtu and mtu < iface_mtu:
            return Finding(
                "network.mtu", "mtu-black-hole", Severity.PROBLEM, Confidence.HIGH, _("Large packets are lost"),
                _("Packets larger than {mtu} bytes never arrive, and no router says so: {iface} sends up to "
                  "{iface_mtu} bytes, so small requests work while large ones (long prompts, files) stall and get "
                  "reset. Setting {iface}'s MTU to {mtu} fixes it.", mtu=mtu, iface=iface, iface_mtu=iface_mtu),
                ev, ["mtu"],
                ask_it=_("The path from this laptop to {api} has an MTU of {mtu} bytes but ICMP 'fragmentation "
                         "needed' messages are dropped (a PMTUD black hole). Please allow ICMP type 3 code 4 or "
                         "clamp the TCP MSS on the VPN/tunnel.", api=DEFAULT_API_HOST, mtu=mtu),
                failure_mode=4,
            )
        if d.get("icmp") == "blocked":
            why = _("The network blocks ping.")
        elif mtu:
            why = _("Ping found no smaller limit on the way.")
        else:
            why = _("It could not be measured here.")
        return Finding(
            "network.mtu", "mtu-black-hole", Severity.PROBLEM, Confidence.MEDIUM, _("Large requests get lost"),
            # TRANSLATORS: {why} is one sentence of its own saying why the exact size is not known.
            _("A {kb} KB request got no answer after {secs:.1f} s while a small one was answered: large packets "
              "are probably lost on the way (an MTU black hole). The exact packet size is not known. {why} A VPN "
              "usually needs an MTU of about 1400.", kb=kb, secs=secs, why=why),
            ev, ["mtu"],
            ask_it=_("Large requests from this laptop to {api} stall while small ones work (a PMTUD black hole). "
                     "Please check the MTU/MSS clamping of the VPN or tunnel.", api=DEFAULT_API_HOST),
            failure_mode=4,
        )
    if d.get("black_hole") is False and mtu and iface_mtu and mtu < iface_mtu:
        return Finding(
            "network.mtu", "mtu-smaller", Severity.INFO, Confidence.HIGH, _("The path carries smaller packets"),
            _("The path to the API carries packets of at most {mtu} bytes ({iface} uses {iface_mtu}); routers "
              "report it, so connections adapt and large requests still get through.",
              mtu=mtu, iface=iface, iface_mtu=iface_mtu),
            ev, failure_mode=4,
        )
    return None


def _system_proxy(results: Results) -> str | None:
    d = _data(results, "env.proxy") or {}
    system = d.get("system") or {}
    return system.get("proxy") or system.get("pac_url") or None


def _reply_text(reply: dict[str, Any]) -> str:
    if not reply:
        return ""
    head = "\n".join(f"{k}: {v}" for k, v in reply.get("headers", []))
    return f"{reply.get('status')} {reply.get('reason', '')}\n{head}\n\n{reply.get('body_start', '')[:300]}"


def _first_words(html: str) -> str:
    import re

    text = re.sub(r"<[^>]+>", " ", html or "")
    text = " ".join(text.split())
    return (text[:160] + "...") if len(text) > 160 else (text or _("(no text)"))


def _cn(rfc4514: str) -> str:
    for part in rfc4514.split(","):
        if part.strip().upper().startswith("CN="):
            return part.strip()[3:]
    return rfc4514


def _clients_data(results: Results) -> dict[str, Any] | None:
    r = results.get("env.clients")
    return r.data if r is not None and isinstance(r.data, dict) and r.data else None
