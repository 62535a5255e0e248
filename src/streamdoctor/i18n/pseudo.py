"""The pseudo-language: English, accented, a third longer and bracketed, with placeholders and markup untouched.

Why: it needs no catalog, so a test can run every page and command in it and find (1) any text a user sees that
does not pass through the catalogs (it comes out plain) and (2) any label too narrow for a longer translation
(German runs about 30% longer than English).
"""

from __future__ import annotations

import re

_ACCENTS = str.maketrans(
    "AaCcEeIiLlNnOoSsUuYyZz",
    "ÅåÇçÉéÎîĹĺÑñÖöŠšÜüÝýŽž",
)
# Left alone: {placeholders}, <markup>, &entities; and URLs, which must stay usable
_KEEP = re.compile(r"(\{[^{}]*\}|<[^<>]*>|&[a-z]+;|https?://\S+)")
OPEN, CLOSE = "⟦", "⟧"


def pseudo(text: str) -> str:
    if not text:
        return text
    parts = _KEEP.split(text)
    out = "".join(p if i % 2 else p.translate(_ACCENTS) for i, p in enumerate(parts))
    pad = "·" * (len(text) // 3)
    return f"{OPEN}{out}{pad}{CLOSE}"
