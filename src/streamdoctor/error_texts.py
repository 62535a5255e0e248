""""What did you see?": the error text a user saw, matched to what it means and to what was measured.

Users arrive with a sentence from Claude Code, the desktop app or an SDK ("API Error: Connection closed
mid-response", "SELF_SIGNED_CERT_IN_CHAIN"). data/error_texts.json maps those texts (verified from the clients'
code where we could; each entry says where) to a meaning, the tests that matter most, the client settings
involved and the finding causes that explain it. relate() then says whether the verdict of this run explains
what the user saw, or plainly that it does not. Pure: no I/O beyond reading the data file, no Qt.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .i18n import _
from .model import Verdict

MAX_TEXT = 2000  # a pasted error, not a log: longer input is cut (and a log belongs to --read-client-logs)


@dataclass(frozen=True)
class ErrorText:
    id: str
    client: str
    examples: tuple[str, ...]
    patterns: tuple[str, ...]
    verified: str
    meaning: str
    tests: tuple[str, ...]
    settings: tuple[str, ...]
    causes: tuple[str, ...]
    server_side: bool
    weak_patterns: tuple[str, ...] = ()  # wrappers ("Unable to connect to API (CODE)"): the code decides


@functools.cache
def table() -> tuple[ErrorText, ...]:
    raw = json.loads(resources.files("streamdoctor").joinpath("data/error_texts.json").read_text("utf-8"))
    if raw.get("schema") != 1:
        raise ValueError("data/error_texts.json: unknown schema")
    return tuple(ErrorText(e["id"], e["client"], tuple(e["examples"]), tuple(p.lower() for p in e["patterns"]),
                           e["verified"], e["meaning"], tuple(e["tests"]), tuple(e["settings"]), tuple(e["causes"]),
                           bool(e.get("server_side")), tuple(p.lower() for p in e.get("weak_patterns", ())))
                 for e in raw["errors"])


def examples() -> list[str]:
    """The texts the wizard offers to pick from (one per entry, the most common wording first)."""
    return [e.examples[0] for e in table()]


def clean(text: str) -> str:
    """One line of at most MAX_TEXT printable characters (control characters dropped)."""
    text = "".join(ch if ch.isprintable() else " " for ch in (text or ""))
    return re.sub(r"\s+", " ", text).strip()[:MAX_TEXT]


def identify(text: str) -> list[ErrorText]:
    """Entries whose patterns occur in `text`, the most specific (longest matching pattern) first."""
    low = clean(text).lower()
    scored = []
    for e in table():
        hits = [p for p in e.patterns if _occurs(p, low)]
        if hits:
            scored.append((max(len(p) for p in hits), e))
        elif any(_occurs(p, low) for p in e.weak_patterns):
            scored.append((0, e))
    scored.sort(key=lambda t: -t[0])
    return [e for _, e in scored]


def _occurs(pattern: str, low: str) -> bool:
    if pattern.isdigit():  # status codes: whole numbers only ("529", not "15290 ms")
        return re.search(rf"(?<!\d){pattern}(?!\d)", low) is not None
    return pattern in low


def relate(text: str, verdict: Verdict, clients: dict[str, Any] | None = None) -> dict[str, Any]:
    """What `text` means and whether this run's findings explain it. The result goes into report.target."""
    from .bundle.redact import Redactor
    from .claude_advice import bug_notes, from_clients

    shown = Redactor().text(clean(text))
    matches = identify(text)
    out: dict[str, Any] = {"text": shown, "recognised": [e.id for e in matches], "explained_by": [],
                           "explains": None, "bugs": []}
    if not matches:
        out["sentence"] = _("We do not know this error text, so we cannot say whether what was measured explains it; "
                            "the findings below stand on their own.")
        return out
    top = matches[0]
    causes = {c for e in matches for c in e.causes}
    # The meaning is a DATA_FIELDS text (scripts/i18n.py extracts it from the data file): said in the user's language
    meaning = _(top.meaning)
    out.update(meaning=meaning, client=top.client, tests=list(top.tests), settings=list(top.settings),
               verified=top.verified)
    hits = [f for f in verdict.findings if f.cause in causes and f.severity.value != "info"]
    out["explained_by"] = [{"rule": f.rule, "title": f.title} for f in hits]
    cc = from_clients(clients)
    out["bugs"] = bug_notes(cc, [e.id for e in matches]) if cc is not None and cc.installed else []
    bug = out["bugs"][0] if out["bugs"] else None  # a known bug of the installed client: said after the verdict
    if top.server_side:
        out["explains"] = None
        if bug:
            # TRANSLATORS: {bug} is a sentence about a known bug of the user's Claude Code version
            out["sentence"] = _("What you saw comes from the API itself, not the network: {meaning} {bug}",
                                meaning=meaning, bug=bug)
        else:
            out["sentence"] = _("What you saw comes from the API itself, not the network: {meaning}",
                                meaning=meaning)
    elif hits:
        out["explains"] = True
        names = "; ".join(f.title for f in hits[:3])
        # TRANSLATORS: {text} is the error text the user pasted; {findings} are finding titles separated by ";"
        if bug:
            out["sentence"] = _("What you saw (\"{text}\") is explained by what we measured: {findings}. {bug}",
                                text=_short(shown), findings=names, bug=bug)
        else:
            out["sentence"] = _("What you saw (\"{text}\") is explained by what we measured: {findings}.",
                                text=_short(shown), findings=names)
    else:
        out["explains"] = False
        # TRANSLATORS: {tests} is a list of test ids (stream, idle, mtu): not translated
        if bug:
            out["sentence"] = _("What we measured does not explain what you saw (\"{text}\"). {meaning} The tests "
                                "that matter most for it: {tests}; run the thorough check if some were skipped, and "
                                "run it while the problem happens. {bug}", text=_short(shown), meaning=meaning,
                                tests=", ".join(top.tests), bug=bug)
        else:
            out["sentence"] = _("What we measured does not explain what you saw (\"{text}\"). {meaning} The tests "
                                "that matter most for it: {tests}; run the thorough check if some were skipped, and "
                                "run it while the problem happens.", text=_short(shown), meaning=meaning,
                                tests=", ".join(top.tests))
    return out


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
