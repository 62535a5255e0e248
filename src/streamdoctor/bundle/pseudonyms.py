"""Consistent pseudonyms for internal host names and private IPs, like sos report's cleaner.

The same real name gets the same pseudonym in every bundle made on this laptop (so IT can correlate two
bundles), and the mapping back to real names stays on the laptop: it is saved in the app's data folder with
owner-only permissions and never goes into a zip.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
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


def default_path() -> Path:
    return paths.data_dir() / MAP_FILE_NAME
