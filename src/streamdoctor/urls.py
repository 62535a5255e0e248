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

MAX_URL_LEN = 2048  # browsers and proxies cap request lines near here; an API base URL is ~30 characters
MAX_HOST_LEN = 253  # RFC 1035: a DNS name is at most 253 characters written out
MAX_LABEL_LEN = 63  # RFC 1035: each dot-separated label at most 63
_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")  # "_" is common in internal names; resolvers allow it
_LOOPBACK_NAMES = ("localhost", "ip6-localhost")
EXAMPLE = "give one like https://api.anthropic.com"


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
        raise BadURLError(f"an empty URL is not usable; {EXAMPLE}")
    url = url.strip(" ")
    bad = f"'{_shown(url)}' is not a usable URL"
    if len(url) > MAX_URL_LEN:
        raise BadURLError(f"the URL is longer than {MAX_URL_LEN} characters; {EXAMPLE}")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise BadURLError(f"{bad}: it contains a space or control character; {EXAMPLE}")
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError on a non-number or > 65535
    except ValueError:
        raise BadURLError(f"{bad}: the port must be a number from 1 to 65535; {EXAMPLE}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BadURLError(f"{bad}: it must start with https:// (or http://); {EXAMPLE}")
    if port == 0 or (parts.netloc.rsplit("@", 1)[-1].endswith(":") and port is None):
        raise BadURLError(f"{bad}: the port must be a number from 1 to 65535; {EXAMPLE}")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise BadURLError(f"{bad}: a base URL has no '?' or '#' part; {EXAMPLE}")
    host = parts.hostname or ""
    if not host:
        raise BadURLError(f"{bad}: it names no host; {EXAMPLE}")
    problem = host_problem(host, bracketed="[" in parts.netloc)
    if problem:
        raise BadURLError(f"{bad}: {problem}; {EXAMPLE}")
    return url.rstrip("/")


def host_problem(host: str, bracketed: bool = False) -> str:
    """Why `host` is not a usable host name or address, or "" when it is."""
    if bracketed:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return f"'{host[:60]}' is not an IPv6 address"
        return ""
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return f"'{host[:60]}' is not an IPv4 address (four numbers from 0 to 255)"
        return ""
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return "the host name is not a valid (international) domain name (each part at most 63 characters)"
    name = ascii_host.rstrip(".")
    if len(name) > MAX_HOST_LEN:
        return f"the host name is longer than {MAX_HOST_LEN} characters"
    for label in name.split("."):
        if len(label) > MAX_LABEL_LEN:
            return f"a part of the host name is longer than {MAX_LABEL_LEN} characters"
        if not _LABEL_RE.match(label):
            return f"'{label[:40]}' is not a valid part of a host name"
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
