"""One check for every URL a user gives (--base-url, ANTHROPIC_BASE_URL, the wizard's field), and the words
for what is wrong with it.

A URL reaches sockets, TLS names, HTTP request lines and reports: a space, a newline, a 64-character label,
port 0 or 256.1.1.1 must stop here with one line, not as a traceback deep in a probe (issue 14 item 8). The
error never repeats a password the URL carried.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from .errors import BadURLError
from .i18n import _

MAX_URL_LEN = 2048  # browsers and proxies cap request lines near here; an API base URL is ~30 characters
MAX_HOST_LEN = 253  # RFC 1035: a DNS name is at most 253 characters written out
MAX_LABEL_LEN = 63  # RFC 1035: each dot-separated label at most 63
_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")  # "_" is common in internal names; resolvers allow it
_LOOPBACK_NAMES = ("localhost", "ip6-localhost")
EXAMPLE_URL = "https://api.anthropic.com"  # the example every URL error offers (a product host: never translated)


def _shown(url: str) -> str:
    """The URL as an error may show it: password removed, control characters escaped, length capped."""
    shown = url
    try:
        parts = urlsplit(url)
        if parts.password is not None:
            shown = shown.replace(f":{parts.password}@", ":<redacted>@", 1)
    except ValueError:
        shown = re.sub(r"//[^/@]*@", "//<redacted>@", shown)
    text = repr(shown[:100])[1:-1]
    return text + ("..." if len(shown) > 100 else "")


def validate_base_url(url: str) -> str:
    """Return the URL without trailing "/" if it is http(s)://host[:port][/path]; else raise BadURLError with
    one line that says what is wrong. Host: a valid IPv4/IPv6 address or a DNS name (labels 1-63 characters,
    253 in all, IDN allowed); port 1-65535; no spaces, control characters, query or fragment."""
    if not isinstance(url, str) or not url.strip():
        raise BadURLError(_("an empty URL is not usable; give one like {example}", example=EXAMPLE_URL))
    url = url.strip(" ")
    shown = _shown(url)
    if len(url) > MAX_URL_LEN:
        raise BadURLError(_("the URL is longer than {limit:,d} characters; give one like {example}", limit=MAX_URL_LEN,
                            example=EXAMPLE_URL))
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise BadURLError(_("'{url}' is not a usable URL: it contains a space or control character; give one like "
                            "{example}", url=shown, example=EXAMPLE_URL))
    bad_port = _("'{url}' is not a usable URL: the port must be a number from 1 to 65535; give one like {example}",
                 url=shown, example=EXAMPLE_URL)
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError on a non-number or > 65535
    except ValueError:
        raise BadURLError(bad_port) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BadURLError(_("'{url}' is not a usable URL: it must start with https:// (or http://); give one like "
                            "{example}", url=shown, example=EXAMPLE_URL))
    if port == 0 or (parts.netloc.rsplit("@", 1)[-1].endswith(":") and port is None):
        raise BadURLError(bad_port)
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise BadURLError(_("'{url}' is not a usable URL: a base URL has no '?' or '#' part; give one like "
                            "{example}", url=shown, example=EXAMPLE_URL))
    host = parts.hostname or ""
    if not host:
        raise BadURLError(_("'{url}' is not a usable URL: it names no host; give one like {example}", url=shown,
                            example=EXAMPLE_URL))
    problem = host_problem(host, bracketed="[" in parts.netloc)
    if problem:
        # TRANSLATORS: {problem} is one of the host name problems below ("the host name is longer than ...")
        raise BadURLError(_("'{url}' is not a usable URL: {problem}; give one like {example}", url=shown,
                            problem=problem, example=EXAMPLE_URL))
    return url.rstrip("/")


def host_problem(host: str, bracketed: bool = False) -> str:
    """Why `host` is not a usable host name or address, or "" when it is."""
    if bracketed:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return _("'{host}' is not an IPv6 address", host=host[:60])
        return ""
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return _("'{host}' is not an IPv4 address (four numbers from 0 to 255)", host=host[:60])
        return ""
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return _("the host name is not a valid (international) domain name (each part at most 63 characters)")
    name = ascii_host.rstrip(".")
    if len(name) > MAX_HOST_LEN:
        return _("the host name is longer than {limit:d} characters", limit=MAX_HOST_LEN)
    for label in name.split("."):
        if len(label) > MAX_LABEL_LEN:
            return _("a part of the host name is longer than {limit:d} characters", limit=MAX_LABEL_LEN)
        if not _LABEL_RE.match(label):
            return _("'{label}' is not a valid part of a host name", label=label[:40])
    return ""


def is_loopback(url: str) -> bool:
    """True if the URL's host is this machine (127.0.0.0/8, ::1, localhost): nothing it sends leaves it."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sends_key_in_cleartext(url: str) -> bool:
    """True for plain http:// to another machine: an API key in a header would cross the network readable."""
    return urlsplit(url).scheme.lower() == "http" and not is_loopback(url)
