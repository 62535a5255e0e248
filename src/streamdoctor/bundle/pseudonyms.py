"""Consistent pseudonyms for internal host names and private IPs, like sos report's cleaner.

The same real name gets the same pseudonym in every bundle made on this laptop (so IT can correlate two
bundles), and the mapping back to real names stays on the laptop: it is saved in the app's data folder with
owner-only permissions and never goes into a zip.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from .. import paths

log = logging.getLogger(__name__)

MAP_FILE_NAME = "bundle-pseudonyms.json"
_PSEUDONYM_RE = re.compile(r"(?i)^(?:host\d+\.internal|ip-\d+)$")


class PseudonymMap:
    """real name -> pseudonym, for hosts ("host1.internal") and IPs ("ip-1")."""

    def __init__(self, hosts: dict[str, str] | None = None, ips: dict[str, str] | None = None) -> None:
        self.hosts: dict[str, str] = dict(hosts or {})
        self.ips: dict[str, str] = dict(ips or {})
        self._used: set[str] = set()

    def host(self, real: str) -> str:
        key = real.lower().rstrip(".")
        if key not in self.hosts:
            self.hosts[key] = f"host{len(self.hosts) + 1}.internal"
        self._used.add(key)
        return self.hosts[key]

    def ip(self, real: str) -> str:
        key = real.lower()
        if key not in self.ips:
            self.ips[key] = f"ip-{len(self.ips) + 1}"
        self._used.add(key)
        return self.ips[key]

    @staticmethod
    def is_pseudonym(name: str) -> bool:
        return bool(_PSEUDONYM_RE.match(name))

    def used_real_names(self) -> set[str]:
        """The real names replaced in this run: the final byte scan checks none survived."""
        return set(self._used)

    # --- persistence (the laptop only) -------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> PseudonymMap:
        path = path or default_path()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(dict(raw.get("hosts", {})), dict(raw.get("ips", {})))
        except (OSError, ValueError, AttributeError):
            return cls()

    def save(self, path: Path | None = None) -> Path | None:
        """Write atomically with owner-only permissions; a failure is logged, never fatal (the bundle is what
        matters, the map only lets the user translate IT's questions back)."""
        path = path or default_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pseudonyms-", suffix=".tmp")
            try:
                os.fchmod(fd, 0o600) if hasattr(os, "fchmod") else None
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump({"about": "Stream Doctor bundle pseudonyms: real name -> name used in bundles. "
                               "Kept on this computer only.", "hosts": self.hosts, "ips": self.ips}, f, indent=2)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("could not save the pseudonym map in %s: %s", path.parent, exc.strerror)
            return None
        return path


# An IPv6 address in any valid written form (compressed "fd12::23", full, upper case, with a %zone), as a
# candidate: ipaddress decides whether it is one and whether it is private. Not part of a longer hex/word run.
_IPV6_CANDIDATE_RE = re.compile(r"(?i)(?<![0-9a-z:.])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%[\w.\-]+)?(?![0-9a-z:])")


def private_ipv6(text: str) -> str | None:
    """The canonical (compressed) form of `text` if it is a private IPv6 address: unique-local fc00::/7,
    link-local fe80::/10 or site-local fec0::/10; else None. Public and loopback addresses are left alone."""
    try:
        ip = ipaddress.IPv6Address(text.split("%", 1)[0])
    except ValueError:
        return None
    if ip.is_loopback or ip.is_unspecified or not (ip.is_private or ip.is_link_local or ip.is_site_local):
        return None
    if ip.ipv4_mapped is not None:  # ::ffff:10.1.2.3: the IPv4 pattern handles the address itself
        return None
    return ip.compressed


def replace_private_ipv6(text: str, replace: Callable[[str], str]) -> str:
    """`text` with every private IPv6 address (any form) replaced by replace(canonical form)."""
    if ":" not in text:
        return text

    def sub(m: re.Match[str]) -> str:
        canonical = private_ipv6(m.group(0))
        return m.group(0) if canonical is None else replace(canonical)

    return _IPV6_CANDIDATE_RE.sub(sub, text)


def own_host_names() -> tuple[str, ...]:
    """This computer's names (short and fully qualified), lower case: they identify the laptop, so with
    --pseudonymize-hosts they get a pseudonym wherever they appear, also inside file names
    ("streamdoctor-NAME-2026....zip")."""
    names = set()
    try:
        names.add(socket.gethostname())
        names.add(socket.getfqdn())
    except OSError:
        pass
    out = set()
    for n in names:
        n = n.strip().lower().rstrip(".")
        if n and n not in ("localhost", "localhost.localdomain") and len(n) >= 2:
            out.add(n)
            out.add(n.split(".")[0])
    return tuple(sorted(out, key=len, reverse=True))


def own_host_re(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """The host names as whole runs of letters and digits: "-" and "." around them do not protect them."""
    if not names:
        return None
    alt = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?i)(?<![a-z0-9])(?:{alt})(?![a-z0-9])")


def default_path() -> Path:
    return paths.data_dir() / MAP_FILE_NAME
