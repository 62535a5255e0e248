"""PEM helpers for the CA fixes: check that a text really is a certificate, build the file a client trusts."""

from __future__ import annotations

import re
from pathlib import Path

from ..i18n import _
from ..x509 import X509Error, load_pem
from .journal import FixError

_PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")


def pem_blocks(text: str) -> list[str]:
    return [m.group(0).strip() + "\n" for m in _PEM_RE.finditer(text or "")]


def pem_is_certificate(text: str) -> bool:
    blocks = pem_blocks(text)
    if not blocks:
        return False
    try:
        return bool(load_pem(blocks[0]))
    except X509Error:
        return False


def combined_pem(root_pem: str, keep: Path | None = None, base_bundle: Path | None = None) -> bytes:
    """The inspector root plus certificates to keep (an earlier extra-CA file, or a whole base bundle)."""
    if not pem_is_certificate(root_pem):
        raise FixError(_("the check did not capture the inspection root certificate; run the check again"))
    blocks: list[str] = []
    for source in (base_bundle, keep):
        if source is None:
            continue
        try:
            blocks.extend(pem_blocks(source.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            pass  # a stale path in the old setting: nothing to keep
    for b in pem_blocks(root_pem):
        if b not in blocks:
            blocks.append(b)
    return "".join(blocks).encode("ascii")
