"""Whole translated sentences put one after another, or listed, without losing how they were made (core and GUI).

Why: a finding's `plain` is often two or three independent sentences, some of them optional (the keepalive
advice, the user's own Claude Code limit). Joining them with `+` or `" ".join` would give a plain str that
`i18n.relocalize` cannot say again in English for IT, and it would put a space between Japanese or Chinese
sentences, which those languages do not write. Here each join is itself a translatable text whose parts are
Msgs, so the whole stays re-sayable and each language chooses its own separator.
"""

from __future__ import annotations

from collections.abc import Callable

from . import Msg, _


def _chain(items: tuple[Msg | str | None, ...], pair: Callable[[Msg | str, Msg | str], Msg]) -> Msg | str:
    """The non-empty items joined right to left by `pair` (one translatable two-part text): "" when none."""
    kept = [i for i in items if i]
    if not kept:
        return ""
    out: Msg | str = kept[-1]
    for item in reversed(kept[:-1]):
        out = pair(item, out)
    return out


def joined(*parts: Msg | str | None) -> Msg | str:
    """Independent whole sentences, one after the other (empty or None parts left out; none at all: "")."""
    # TRANSLATORS: two whole sentences one after the other; Japanese and Chinese write them without a space.
    return _chain(parts, lambda first, second: _("{first} {second}", first=first, second=second))


def listed(*items: Msg | str) -> Msg | str:
    """Items of a list (names, values) separated the language's way ("a, b, c"; "a、b、c" in Japanese)."""
    # TRANSLATORS: two items of a list (names or short values); Japanese and Chinese separate them with 、
    return _chain(items, lambda first, second: _("{first}, {second}", first=first, second=second))


def clauses(*items: Msg | str) -> Msg | str:
    """Clauses of one sentence, or independent items ("a: ok; b: failed"), that may hold commas themselves,
    separated by semicolons ("a, b; c"); none at all: ""."""
    # TRANSLATORS: two clauses of one sentence (each may contain commas); Japanese and Chinese may use ；
    return _chain(items, lambda first, second: _("{first}; {second}", first=first, second=second))
