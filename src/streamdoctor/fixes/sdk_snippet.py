"""The sdk-snippet fix: Python and TypeScript code for the user's own programs, generated from the measurements.

Nothing in the user's code is edited: the code is saved to the app's data folder (journaled, so undo removes
it) and shown in the preview to copy. It sets the request timeout and retries, turns on TCP keepalive below the
measured cut only when keepalive can help (a NAT/firewall that resets idle flows, reached directly; a proxy or a
TLS-terminating box keeps its own idle timer, which keepalive does not touch), and adds a streaming wrapper that
resumes an answer cut mid-way.

Generated code takes only validated numbers and enumerated words from the report (issue 14 item 6): a report
is input (a saved report.json may come from anywhere), and a newline or quote in one of its strings must never
become a line of the user's program. Numbers must be finite and in a sane range, an ending must be one of the
probe's own words, and _fill() refuses any value that is not plain, single-line text made of safe characters.

The TypeScript keepalive needs the `undici` package (Node's built-in fetch runs on undici but does not export
its Agent): the snippet says so where it imports it, and the preview says so too.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import paths
from ..i18n import N_, _
from ..model import FixPlan, Report
from . import journal
from .base import Fix, Shown, VerifyOutcome, probe_data
from .snippet_templates import PYTHON_TEMPLATE, TYPESCRIPT_TEMPLATE

PY_NAME = "streamdoctor_client.py"
TS_NAME = "streamdoctorClient.ts"
DEFAULT_TIMEOUT_S = 600
DEFAULT_MAX_RETRIES = 4
# A measured time outside 0..1 day is not a measurement (a hostile or broken report): ignore it.
MAX_MEASURED_S = 86_400.0
# How a silent connection ended: the idle probe's words (probes/rawtls.py); anything else is "unknown".
ENDINGS = frozenset({"reset", "fin", "tls_close", "drop"})
UNDICI_NOTE = N_("The TypeScript keepalive needs the undici package: npm install undici (Node's built-in fetch "
                 "does not export its Agent).")


@dataclass(frozen=True)
class SnippetParams:
    timeout_s: int = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    keepalive_idle_s: int | None = None
    keepalive_why: str = "keepalive is left to the SDK's defaults: nothing measured says it would help here"
    facts: str = "nothing that changes the SDK's defaults"
    # What decided keepalive_why, so the preview can say it in the user's language (the code's comments stay
    # English: they are the file's content). box: "" (no cut), "nat", "proxy", "inspect" or "box".
    cut_s: float | None = None
    ending: str | None = None
    box: str = ""


def snippet_params(report: Report) -> SnippetParams:
    """Decide timeout, retries and keepalive from the report (pure, so it is tested on recorded reports)."""
    stream = probe_data(report, "stream")
    idle = probe_data(report, "idle")
    facts = []
    ttfb = measured_s(stream.get("time_to_first_byte_s")) or 0.0
    timeout = max(DEFAULT_TIMEOUT_S, math.ceil(3 * ttfb))
    if ttfb:
        facts.append(f"first byte after {ttfb:.1f} s")
    cut, ending = measured_s(idle.get("cut_s")), enumerated_ending(idle.get("ending"))
    silence = measured_s(stream.get("silence_before_end_s"))
    if cut is None and stream.get("outcome") == "reset" and silence is not None and silence >= 1:
        cut, ending = silence, "reset"  # the stream probe saw the idle reset
    if cut:
        facts.append(f"silent connections cut after {float(cut):.0f} s ({ending or 'unknown ending'})")
    proxied = bool(((probe_data(report, "env.proxy").get("clients") or {}).get("python-sdk") or {}).get("proxy"))
    inspected = bool(probe_data(report, "tls").get("inspected"))
    keepalive, why, kind = None, "keepalive is left to the SDK's defaults: nothing measured says it would help here", ""
    if cut and ending == "reset" and not proxied and not inspected:
        keepalive, kind = max(1, math.floor(float(cut) / 2)), "nat"
        why = (f"keepalive every {keepalive} s, below the measured cut of {float(cut):.0f} s: the cut was a reset "
               "from a NAT/firewall, whose idle timer keepalive packets refresh")
    elif cut:
        kind = "proxy" if proxied else "inspect" if inspected else "box"
        box = "a proxy" if proxied else "a TLS-inspecting box" if inspected else "a box that ends the connection"
        why = (f"no keepalive: the {float(cut):.0f} s cut comes from {box} ({ending}); it keeps its own idle timer, "
               "which TCP keepalive does not refresh (only data does; ask IT to raise it)")
    return SnippetParams(timeout, DEFAULT_MAX_RETRIES, keepalive, why, "; ".join(facts) or "nothing unusual",
                         float(cut) if cut else None, ending, kind)


def keepalive_said(p: SnippetParams) -> str:
    """keepalive_why in the user's language, for the preview (the code's own comment stays English)."""
    cut = p.cut_s or 0.0
    ending = p.ending or "unknown"
    if p.box == "nat" and p.keepalive_idle_s:
        return _("keepalive every {every:d} s, below the measured cut of {cut:.0f} s: the cut was a reset from a "
                 "NAT/firewall, whose idle timer keepalive packets refresh", every=p.keepalive_idle_s, cut=cut)
    # TRANSLATORS: {ending} is a machine word (reset, fin, tls_close, drop)
    if p.box == "proxy":
        return _("no keepalive: the {cut:.0f} s cut comes from a proxy ({ending}); it keeps its own idle timer, which "
                 "TCP keepalive does not refresh (only data does; ask IT to raise it)", cut=cut, ending=ending)
    if p.box == "inspect":
        return _("no keepalive: the {cut:.0f} s cut comes from a TLS-inspecting box ({ending}); it keeps its own "
                 "idle timer, which TCP keepalive does not refresh (only data does; ask IT to raise it)", cut=cut,
                 ending=ending)
    if p.box == "box":
        return _("no keepalive: the {cut:.0f} s cut comes from a box that ends the connection ({ending}); it keeps "
                 "its own idle timer, which TCP keepalive does not refresh (only data does; ask IT to raise it)",
                 cut=cut, ending=ending)
    return _("keepalive is left to the SDK's defaults: nothing measured says it would help here")


def measured_s(value: Any) -> float | None:
    """A time from the report if it is a real number of seconds (finite, 0..1 day); else None. Strings, bools,
    NaN and infinities are not measurements."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if not math.isfinite(number) or not 0 <= number <= MAX_MEASURED_S:
        return None
    return number


def enumerated_ending(value: Any) -> str | None:
    return value if isinstance(value, str) and value in ENDINGS else None


def render_python(p: SnippetParams, date: str = "") -> str:
    return _fill(PYTHON_TEMPLATE, {
        "DATE": date or time.strftime("%Y-%m-%d"), "FACTS": p.facts, "TIMEOUT_S": f"{float(p.timeout_s):.1f}",
        "MAX_RETRIES": str(p.max_retries), "KEEPALIVE_WHY": p.keepalive_why,
        "KEEPALIVE_IDLE_S": str(p.keepalive_idle_s) if p.keepalive_idle_s else "None",
    })


def render_typescript(p: SnippetParams, date: str = "") -> str:
    if p.keepalive_idle_s:
        ka_import = ("// Needs the undici package: npm install undici (Node's built-in fetch runs on undici but\n"
                     "// does not export its Agent; without it the SDK cannot set TCP keepalive on its sockets).\n"
                     'import { Agent } from "undici"; // keepalive below the measured cut (see below)\n')
        ka_option = ("    // SDK versions on fetch (v5+): keepalive through an undici dispatcher. Older versions on\n"
                     "    // node-fetch: httpAgent: new https.Agent({ keepAlive: true, keepAliveMsecs: ... }).\n"
                     "    fetchOptions: { dispatcher: new Agent({ connect: { keepAlive: true, "
                     "keepAliveInitialDelay: KEEPALIVE_INITIAL_DELAY_MS! } }) },\n")
    else:
        ka_import, ka_option = "", ""
    return _fill(TYPESCRIPT_TEMPLATE, {
        "DATE": date or time.strftime("%Y-%m-%d"), "FACTS": p.facts, "TIMEOUT_MS": str(p.timeout_s * 1000),
        "MAX_RETRIES": str(p.max_retries), "KEEPALIVE_WHY": p.keepalive_why,
        "KEEPALIVE_MS": str(p.keepalive_idle_s * 1000) if p.keepalive_idle_s else "null",
        "TS_KEEPALIVE_IMPORT": ka_import, "TS_KEEPALIVE_OPTION": ka_option,
    })


# What a placeholder may hold. Numbers are numbers; prose (in comments and docstrings) is one line of letters,
# digits and plain punctuation: no double quote, backslash, newline or `@@` that could end a comment or a string.
_NUMBER_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?|None|null")
_PROSE_RE = re.compile(r"[A-Za-z0-9 .,;:()/%+='_-]*")  # ' cannot end a """ docstring or a comment
_CODE_KEYS = frozenset({"TS_KEEPALIVE_IMPORT", "TS_KEEPALIVE_OPTION"})  # fixed text from this module, not data
_NUMBER_KEYS = frozenset({"TIMEOUT_S", "TIMEOUT_MS", "MAX_RETRIES", "KEEPALIVE_IDLE_S", "KEEPALIVE_MS"})


def _fill(template: str, values: dict[str, str]) -> str:
    out = template
    for key, value in values.items():
        if key in _NUMBER_KEYS and not _NUMBER_RE.fullmatch(value):
            raise ValueError(f"snippet value {key} is not a number")
        if key not in _CODE_KEYS | _NUMBER_KEYS and not _PROSE_RE.fullmatch(value):
            raise ValueError(f"snippet value {key} holds characters that could become code: {value!r}")
        out = out.replace(f"@@{key}@@", value)
    if "@@" in out:
        raise ValueError("snippet template has an unfilled placeholder")
    return out


def snippet_dir() -> Path:
    return paths.data_dir() / "snippets"


class SdkSnippetFix(Fix):
    id = "sdk-snippet"
    title = Shown(N_("Code for your own programs (Python and TypeScript SDK)"))
    probes = ("env.proxy", "tls", "stream", "idle")

    def applies(self, report: Report) -> bool:
        return any(self.id in f.fix_ids for f in report.verdict.findings) or bool(probe_data(report, "idle"))

    def _files(self, report: Report) -> dict[Path, str]:
        params = snippet_params(report)
        return {snippet_dir() / PY_NAME: render_python(params), snippet_dir() / TS_NAME: render_typescript(params)}

    def preview(self, report: Report) -> FixPlan:
        files = self._files(report)
        body = "\n\n".join(f"===== {path} =====\n{text}" for path, text in files.items())
        params = snippet_params(report)
        text = _("Generates code to copy into your own programs (nothing in your code is edited): a {timeout:d} s "
                 "timeout, {retries:d} retries, {keepalive}, and a streaming wrapper that resumes an answer cut "
                 "mid-way. Saved to the folder below; undo removes it.", timeout=params.timeout_s,
                 retries=params.max_retries, keepalive=keepalive_said(params))
        if params.keepalive_idle_s:
            text = _("{description} {note}", description=text, note=_(UNDICI_NOTE))
        return self.plan(text, body)

    def apply(self, report: Report) -> str:
        files = self._files(report)
        with journal.Transaction(self.id, self.journal_title(), {"files": [str(p) for p in files]}) as tx:
            for path, text in files.items():
                tx.write_file(path, text.encode("utf-8"), mode=0o644)
        return tx.record.id

    def verify(self, report: Report, record_id: str) -> VerifyOutcome:
        record = journal.load(record_id)
        for name in record.info.get("files", []):
            path = Path(name)
            if not path.is_file():
                return VerifyOutcome(False, _("{path} is missing", path=str(path)))
            if path.suffix == ".py":
                try:
                    compile(path.read_text(encoding="utf-8"), str(path), "exec")
                except SyntaxError as exc:
                    return VerifyOutcome(False, _("{path} does not compile: {error}", path=str(path),
                                                  error=str(exc)))
        where = ", ".join(record.info.get("files", []))
        return VerifyOutcome(True, _("Saved {files}. Copy the code into your program; the next check cannot see "
                                     "your program, so it tells nothing about this fix.", files=where))
