"""Claude Code's own evidence: network lines from its recent debug logs and session transcripts (with consent).

Claude Code writes a debug log per session to CLAUDE_CONFIG_DIR/debug/<session>.txt (~/.claude/debug, with a
`latest` link) when run with --debug (checked with real 2.1.197: nothing is written without it), and keeps
every session's transcript in CLAUDE_CONFIG_DIR/projects/<project>/<session>.jsonl, where an API error the user
saw is a message with "isApiErrorMessage": true. Those lines say what the client itself saw: "Streaming stall
detected: 54.4s gap between events", "Error streaming, falling back to non-streaming mode: ...", retries, error
codes. Read only when the user agrees (check --read-client-logs; a box on the wizard's Setup page); only the
matching lines are kept, each redacted (bundle/redact.py), and reading is bounded in files and bytes. Not in
all_probes(): it runs only with consent, as an extra result named "claude.logs".
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from ..i18n import _, ngettext
from ..i18n.joining import joined
from ..model import Evidence, ProbeResult, Status

NAME = "claude.logs"
MAX_FILES = 6  # the most recent sessions of each kind: older ones say little about today's problem
MAX_BYTES = 512 * 1024  # read the tail of each file only: debug logs of long sessions reach many MB
MAX_LINES = 60  # lines kept for the report, newest last
MAX_AGE_S = 14 * 24 * 3600  # two weeks: older logs describe another network

# What a network problem looks like in Claude Code's debug log (wording from its code: 2.1.100 cli.js
# 'Streaming stall detected: ${s}s gap between events (stall #N)'; 2.1.197 'Error streaming, falling back to
# non-streaming mode: ...', seen in the lab).
NETWORK_LINE = re.compile(
    r"stall detected|error streaming|non-streaming|falling back|retrying|\bretry\b|attempt \d+/\d+|"
    r"\b(?:ECONNRESET|ECONNREFUSED|ECONNABORTED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b|"
    r"socket hang up|socket connection was closed|timed out|idle timeout|connection (?:closed|error|reset)|"
    r"SELF_SIGNED|UNABLE_TO_|CERT_HAS_EXPIRED|certificate verif|\b(?:429|407|5\d\d)\b|overloaded|"
    r"proxy (?:error|refused|authentication)|api error", re.IGNORECASE)
LEVEL = re.compile(r"\[(?:ERROR|WARN)\]")
NOISE = re.compile(r"plugin|ripgrep|rg error|marketplace|config with lock|installed_plugins", re.IGNORECASE)
STALL = re.compile(r"Streaming stall detected: ([\d.]+)s gap", re.IGNORECASE)
CODE = re.compile(r"\b(E(?:CONNRESET|CONNREFUSED|CONNABORTED|TIMEDOUT|PIPE|NOTFOUND|AI_AGAIN|HOSTUNREACH|NETUNREACH)|"
                  r"SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|"
                  r"CERT_HAS_EXPIRED|429|407|5\d\d)\b")


def config_dir() -> Path:
    configured = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".claude"


def _recent(paths: list[Path], now: float) -> list[Path]:
    dated = []
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            continue
        if p.is_file() and now - st.st_mtime <= MAX_AGE_S:
            dated.append((st.st_mtime, p))
    return [p for _, p in sorted(dated)[-MAX_FILES:]]


def _tail(path: Path) -> str:
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - MAX_BYTES))
        data = fh.read(MAX_BYTES)
    text = data.decode("utf-8", "replace")
    return text if size <= MAX_BYTES else text.split("\n", 1)[-1]  # drop the cut first line


def debug_lines(text: str) -> list[str]:
    """Lines about the network: a network word in an [ERROR]/[WARN] line, or a stall/retry/fallback anywhere."""
    out = []
    for ln in text.splitlines():
        if NOISE.search(ln) or not NETWORK_LINE.search(ln):
            continue
        if LEVEL.search(ln) or STALL.search(ln) or re.search(r"retry|non-streaming|attempt \d", ln, re.I):
            out.append(ln.strip())
    return out


def transcript_errors(text: str) -> list[str]:
    """The API error messages a user saw, from a session transcript (JSON lines)."""
    out = []
    for ln in text.splitlines():
        if '"isApiErrorMessage":true' not in ln.replace(" ", ""):
            continue
        try:
            entry = json.loads(ln)
        except ValueError:
            continue
        content = ((entry.get("message") or {}).get("content")) or []
        texts = [c.get("text", "") for c in content if isinstance(c, dict)] if isinstance(content, list) else [
            str(content)]
        stamp = entry.get("timestamp", "")
        out += [f"{stamp} {t}".strip() for t in texts if t]
    return out


def read_claude_logs(base: Path | None = None, now: float | None = None) -> ProbeResult:
    """The network lines of Claude Code's recent logs, redacted; a result that says so when there are none."""
    from ..bundle.redact import Redactor

    t0 = time.monotonic()
    base = base or config_dir()
    now = time.time() if now is None else now
    debug_files = _recent(list((base / "debug").glob("*.txt")), now)
    transcripts = _recent(list((base / "projects").glob("*/*.jsonl")), now)
    lines: list[tuple[str, str]] = []
    errors: list[str] = []
    for path in debug_files:
        try:
            lines += [(path.name, ln) for ln in debug_lines(_tail(path))]
        except OSError as exc:
            errors.append(f"{path.name}: {exc.strerror or exc}")
    for path in transcripts:
        try:
            lines += [(path.name, ln) for ln in transcript_errors(_tail(path))]
        except OSError as exc:
            errors.append(f"{path.name}: {exc.strerror or exc}")
    red = Redactor()
    kept = [(f, red.text(ln)[:400]) for f, ln in lines][-MAX_LINES:]
    stalls = [float(m.group(1)) for _, ln in lines if (m := STALL.search(ln))]
    fallbacks = sum(1 for _, ln in lines if "non-streaming" in ln.lower())
    codes = sorted({m.group(1) for _, ln in lines for m in CODE.finditer(ln)})
    data: dict[str, Any] = {
        "config_dir": red.text(str(base)), "debug_files": len(debug_files), "transcripts": len(transcripts),
        "lines": [{"file": f, "line": ln} for f, ln in kept], "stalls_s": stalls, "fallbacks": fallbacks,
        "codes": codes, "errors": errors,
        "user_errors": [ln for f, ln in kept if f.endswith(".jsonl")],
    }
    if not debug_files and not transcripts:
        summary: str = _("No Claude Code logs from the last two weeks here (debug logs are written only when "
                         "Claude Code runs with --debug).")
    else:
        # Whole sentences, one per fact, so each can be translated on its own.
        sentences = [
            ngettext("{n} network line in {debug} debug log(s) and {sessions} session(s).",
                     "{n} network lines in {debug} debug log(s) and {sessions} session(s).", len(kept),
                     debug=len(debug_files), sessions=len(transcripts))]
        if stalls:
            sentences.append(ngettext("{n} stall, {longest:.1f} s long.", "{n} stalls, the longest {longest:.1f} s.",
                                      len(stalls), longest=max(stalls)))
        if fallbacks:
            sentences.append(ngettext("{n} fallback to non-streaming.", "{n} fallbacks to non-streaming.", fallbacks))
        if codes:
            sentences.append(_("Error codes: {codes}.", codes=", ".join(codes[:6])))
        summary = joined(*sentences)
    evidence = [Evidence(_("Claude Code log {file}", file=f), ln) for f, ln in kept[-12:]]
    return ProbeResult(NAME, Status.OK, summary, data, evidence, duration_s=time.monotonic() - t0)
