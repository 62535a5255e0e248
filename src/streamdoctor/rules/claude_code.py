"""Rules about the installed Claude Code: settings that do nothing or hurt, and known bugs of its version.

Claude Code settings are judged against what the installed version really does (claude_versions, from its
changelog and code): a variable it does not read, a value under a floor, a watchdog that runs only against
api.anthropic.com, NODE_OPTIONS on a native build, proxy URLs it cannot use, managed settings that win over
the user's. Each is evidence, not a measurement of the network, so the finding is a warning.
"""

from __future__ import annotations

from ..claude_advice import bug_notes, from_clients, settings_flags
from ..diagnosis import Results, rule
from ..i18n import Msg, _, ngettext
from ..i18n.joining import clauses, joined
from ..model import Confidence, Evidence, Finding, Severity


@rule("clients.claude-code-settings")
def claude_code_settings(results: Results) -> Finding | None:
    r = results.get("env.clients")
    cc = from_clients(r.data if r is not None and isinstance(r.data, dict) else None)
    if cc is None or not cc.installed:
        return None
    flags = settings_flags(cc)
    if not flags:
        return None
    ev = [Evidence(_("Claude Code setting {name}", name=key) if key != "managed" else _("Managed settings"), text)
          for key, text in flags]
    ev.insert(0, Evidence(_("Claude Code version"), cc.version_text or _("unknown")))
    return Finding(
        "clients.claude-code-settings", "claude-code-settings-ineffective", Severity.WARNING, Confidence.HIGH,
        _("{label}: settings that do nothing or hurt", label=cc.label),
        joined(*(text for _key, text in flags)),
        ev, [], failure_mode=15,
    )


@rule("clients.claude-code-bugs")
def claude_code_bugs(results: Results) -> Finding | None:
    """A version with known network bugs (fixed later): worth updating whatever the network shows."""
    r = results.get("env.clients")
    cc = from_clients(r.data if r is not None and isinstance(r.data, dict) else None)
    if cc is None or not cc.installed or cc.version is None:
        return None
    notes = bug_notes(cc)
    if not notes:
        return None
    return Finding(
        "clients.claude-code-bugs", "claude-code-known-bugs", Severity.INFO, Confidence.HIGH,
        _("{label} has known network bugs that later versions fix", label=cc.label),
        joined(ngettext("{n} network bug of {label} is fixed in later versions; updating (claude update) removes it "
                        "as a cause.",
                        "{n} network bugs of {label} are fixed in later versions; updating (claude update) removes "
                        "them as a cause.", len(notes), label=cc.label),
               *notes[:3]),
        [Evidence(_("Known bug"), n) for n in notes], [], failure_mode=15,
    )


@rule("clients.claude-code-logs")
def claude_code_logs(results: Results) -> Finding | None:
    """What Claude Code itself logged (read with the user's consent): stalls, fallbacks, retries, error codes."""
    r = results.get("claude.logs")
    d = r.data if r is not None and isinstance(r.data, dict) else None
    if not d or not d.get("lines"):
        return None
    stalls = [float(s) for s in d.get("stalls_s") or []]
    parts: list[Msg] = []
    if stalls:
        parts.append(ngettext("answers stalled {n} time, the longest gap {gap:.1f} s",
                              "answers stalled {n} times, the longest gap {gap:.1f} s", len(stalls), gap=max(stalls)))
    if d.get("fallbacks"):
        parts.append(ngettext("a stream failed and was retried without streaming {n} time (slow, but the answer can "
                              "still arrive)",
                              "a stream failed and was retried without streaming {n} times (slow, but the answer can "
                              "still arrive)", int(d["fallbacks"])))
    if d.get("codes"):
        # the error codes as Claude Code logged them (ECONNRESET, ETIMEDOUT...)
        parts.append(_("errors {codes}", codes=", ".join(d["codes"][:6])))
    if d.get("user_errors"):
        parts.append(ngettext("{n} API error shown in its sessions", "{n} API errors shown in its sessions",
                              len(d["user_errors"])))
    if not parts:
        return None
    return Finding(
        "clients.claude-code-logs", "claude-code-logged-errors",
        Severity.WARNING if stalls or d.get("fallbacks") else Severity.INFO, Confidence.HIGH,
        _("Claude Code's own logs show network trouble"),
        _("Claude Code's recent logs on this computer: {items}. The lines are in the evidence (redacted).",
          items=clauses(*parts)),
        [Evidence(_("log {file}", file=str(x["file"])), x["line"]) for x in d["lines"][-10:]], [], failure_mode=15,
    )
