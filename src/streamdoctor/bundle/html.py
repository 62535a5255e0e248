"""report.html: one self-contained page (inline CSS and SVG, no scripts, no network) that IT can open in any
browser or print. Order follows what a reader needs: the verdict, what to change on the network, the
findings with their evidence, the pictures, then the details (checks, fixes on the laptop, environment, what
was redacted, the files in the bundle). Rendered from the redacted report only.
"""

from __future__ import annotations

from html import escape

from ..model import Evidence, Overall, Report
from . import facts
from .summary import BundleInfo, redaction_lines, utc

CHART_CAPTIONS = {
    "watch-timeline": "The background watch: coloured bands are the network and VPN in effect, ✕ a cut connection, "
                      "grey bars times the API was unreachable, triangles wake-ups, dashed lines network changes.",
    "idle-ladder": "Each bar is one connection held silent for the time on the left. Green survived; red was cut. "
                   "The dashed line is the measured cut-off.",
    "stream-timeline": "Every tick is an event of the streamed answer (text, keep-alive pings, others). Shaded "
                       "areas are silences; the last line shows how the stream ended.",
    "bytes-over-time": "Answer data received over time. A flat line followed by the end marker means the "
                       "connection was cut while nothing was being sent.",
}

CSS = """
:root { --ink:#1d1d1f; --muted:#5f6368; --line:#dadce0; --bad:#b3261e; --warn:#9a6700; --good:#1e7e34;
        --badbg:#fdecea; --warnbg:#fff4d6; --goodbg:#e7f5ea; --accent:#1557b0; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
       color: var(--ink); background: #f6f7f9; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 28px; margin: 4px 0 8px; }
h2 { font-size: 20px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 0 0 6px; }
.meta { color: var(--muted); font-size: 13px; margin: 0; }
.verdict { border-radius: 10px; padding: 18px 22px; margin: 12px 0 8px; border-left: 8px solid; }
.verdict.problem { background: var(--badbg); border-color: var(--bad); }
.verdict.untested { background: var(--warnbg); border-color: var(--warn); }
.verdict.healthy { background: var(--goodbg); border-color: var(--good); }
.verdict .label { font-weight: 700; letter-spacing: .06em; text-transform: uppercase; font-size: 13px; }
.verdict.problem .label { color: var(--bad); } .verdict.untested .label { color: var(--warn); }
.verdict.healthy .label { color: var(--good); }
.verdict .headline { font-size: 19px; margin: 6px 0 0; }
.it { background: #eef3fc; border: 1px solid #c6d7f5; border-radius: 10px; padding: 6px 22px 14px; }
.it h2 { border: none; margin-top: 12px; }
.it ol { padding-left: 22px; } .it li { margin: 8px 0; }
.it .what { font-weight: 650; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 4px; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; width: 38%; }
table.checks th { width: auto; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px; margin: 12px 0; }
.card.problem { border-left: 6px solid var(--bad); } .card.warning { border-left: 6px solid var(--warn); }
.card.info { border-left: 6px solid var(--line); }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 9px;
         background: #eceff1; color: var(--muted); margin-right: 4px; }
.badge.problem, .badge.fail { background: var(--badbg); color: var(--bad); }
.badge.warning, .badge.warn, .badge.error { background: var(--warnbg); color: var(--warn); }
.badge.ok { background: var(--goodbg); color: var(--good); }
.ask { background: #f3f6fb; border-radius: 6px; padding: 8px 12px; margin: 8px 0 0; }
pre { white-space: pre-wrap; word-break: break-word; font: 12px/1.4 ui-monospace,"DejaVu Sans Mono",monospace;
      background: #f6f8fa; border-radius: 6px; padding: 8px 10px; margin: 4px 0; max-height: 18em; overflow: auto; }
figure { margin: 14px 0 22px; } figure svg { width: 100%; height: auto; border: 1px solid var(--line);
         border-radius: 8px; } figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.muted { color: var(--muted); } footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@page { margin: 16mm 14mm; }
@media print {
  body { background: #fff; font-size: 11pt; } main { max-width: none; padding: 0; }
  .verdict, .it, .card, figure, table, tr { break-inside: avoid; }
  h2 { break-after: avoid; } pre { max-height: none; overflow: visible; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

VERDICT_LABEL = {Overall.PROBLEM: "Problem found", Overall.HEALTHY: "Healthy", Overall.UNTESTED: "Could not test"}


def e(value: object) -> str:
    return escape(str(value), quote=True)


def _evidence_table(evidence: list[Evidence]) -> str:
    if not evidence:
        return ""
    rows = []
    for ev in evidence:
        shown = ev.text().split(": ", 1)[1] if ": " in ev.text() else str(ev.value)
        raw = f"<pre>{e(ev.raw[:4000])}</pre>" if ev.raw and ev.raw != str(ev.value) else ""
        rows.append(f"<tr><th>{e(ev.label)}</th><td>{e(shown)}{raw}</td></tr>")
    return f"<table>{''.join(rows)}</table>"


def _rows(rows: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows) + "</table>"


def _matrix_section(report: Report) -> str:
    """The experiment matrix for IT: each variable tried both ways, green/red with its number; a variable
    whose variants disagree is marked as the one that flips the outcome."""
    from .. import matrix

    rows = matrix.build(report.results)
    if not rows:
        return ""
    flipped = matrix.flips(rows)
    badge = {"ok": "ok", "fail": "fail", "untested": "skipped"}
    out = ['<h2 id="matrix">What changes the outcome</h2><p class="muted">Each variable was tried both ways on '
           'this network; a variable marked "flips the outcome" works one way and fails the other.</p>'
           '<table class="checks matrix"><tr><th>variable</th><th>variant</th><th>result</th><th>measured</th></tr>']
    for r in rows:
        flag = ' <span class="badge problem">flips the outcome</span>' if r.variable in flipped else ""
        out.append(f"<tr><td>{e(r.variable)}{flag}</td><td>{e(r.variant)}</td><td><span class=\"badge "
                   f"{badge.get(r.outcome, 'skipped')}\">{e(r.outcome)}</span></td><td>{e(r.number)}</td></tr>")
    out.append("</table>")
    return "".join(out)


def render_html(report: Report, info: BundleInfo, charts: dict[str, str]) -> str:
    v = report.verdict
    host, port = facts.api_endpoint(report)
    parts: list[str] = []
    lab = f" · simulated lab profile {e(report.target['lab_profile'])}" if report.target.get("lab_profile") else ""
    parts.append(f'<p class="meta">Stream Doctor {e(report.app_version)} · report for {e(host)}:{port}'
                 f"{lab} · {e(utc(report.created_at))}</p>")
    parts.append(f'<section class="verdict {e(v.overall.value)}" id="verdict"><div class="label">'
                 f"{e(VERDICT_LABEL.get(v.overall, v.overall.value))}</div>"
                 f'<p class="headline">{e(v.headline)}</p></section>')
    seen = report.target.get("user_error")
    if isinstance(seen, dict) and seen.get("sentence"):  # check --error / the wizard's "What did you see?"
        parts.append(f'<p class="seen"><b>The user saw:</b> {e(str(seen.get("text", "")))}<br>'
                     f'{e(str(seen["sentence"]))}</p>')

    changes = facts.network_changes(report)
    items = "".join(f'<li><div class="what">{e(c.title)}</div><div>{e(c.detail)}</div></li>' for c in changes)
    body = (f"<ol>{items}</ol>" if changes
            else '<p class="muted">Nothing to change on the network: no network problem was measured.</p>')
    facts_rows = facts.network_facts(report)
    parts.append('<section class="it" id="network-changes"><h2>What to change on the network</h2>'
                 '<p class="muted">For the IT / network team. Each request quotes what was measured from this '
                 "laptop.</p>" + body + ("<h3>Measured</h3>" + _rows(facts_rows) if facts_rows else "") + "</section>")

    parts.append("<h2>Findings</h2>")
    if not v.findings:
        parts.append('<p class="muted">No findings.</p>')
    for f in v.findings:
        sev = f.severity.value
        ask = f'<p class="ask"><b>Ask IT:</b> {e(f.ask_it)}</p>' if f.ask_it else ""
        fixes = (f'<p class="muted">Fixes on the laptop: {e(", ".join(f.fix_ids))}</p>' if f.fix_ids else "")
        mode = f" · failure mode {f.failure_mode}" if f.failure_mode else ""
        parts.append(f'<div class="card {e(sev)}"><h3>{e(f.title)}</h3>'
                     f'<p><span class="badge {e(sev)}">{e(sev)}</span><span class="badge">confidence '
                     f"{e(f.confidence.value)}</span><span class=\"muted\">{e(f.cause)}{mode}</span></p>"
                     f"<p>{e(f.plain)}</p>{_evidence_table(f.evidence)}{ask}{fixes}</div>")

    parts.append(_matrix_section(report))

    if charts:
        parts.append("<h2>Pictures</h2>")
        for name, svg in charts.items():
            parts.append(f'<figure id="chart-{e(name)}">{svg}<figcaption>{e(CHART_CAPTIONS.get(name, ""))}'
                         "</figcaption></figure>")

    parts.append('<h2>Checks that ran</h2><table class="checks"><tr><th>check</th><th>result</th><th>summary</th>'
                 "<th>time</th></tr>")
    for r in report.results:
        err = f"<pre>{e(r.error[:2000])}</pre>" if r.error else ""
        parts.append(f"<tr><td>{e(r.probe)}</td><td><span class=\"badge {e(r.status.value)}\">{e(r.status.value)}"
                     f"</span></td><td>{e(r.summary)}{err}</td><td>{r.duration_s:.1f} s</td></tr>")
    parts.append("</table>")
    details = [r for r in report.results if r.evidence and not any(f.evidence == r.evidence for f in v.findings)]
    for r in details:
        parts.append(f'<div class="card info"><h3>{e(r.probe)}: evidence</h3>{_evidence_table(r.evidence)}</div>')

    parts.append("<h2>Fixes applied on this laptop</h2>")
    if not info.fixes:
        why = "" if info.fixes is not None else " (the fix journal is not available in this build)"
        parts.append(f"<p>None{e(why)}.</p>")
    else:
        rows = []
        for rec in info.fixes:
            title, state, touched = facts.describe_fix(rec)
            when = utc(float(rec["created_at"])) if isinstance(rec.get("created_at"), int | float) else ""
            rows.append(f"<tr><td>{e(title)}</td><td>{e(state)}</td><td>{e(touched)}</td><td>{e(when)}</td></tr>")
        parts.append('<table class="checks"><tr><th>fix</th><th>state (undo)</th><th>changed</th><th>when</th></tr>'
                     + "".join(rows) + "</table>")

    parts.append("<h2>Environment</h2>" + _rows(facts.environment(report)))
    parts.append("<h2>What was redacted</h2><p>Before this bundle was written, secrets were removed from every "
                 "file (report, logs, command outputs, HTTP headers, pictures):</p><ul>"
                 + "".join(f"<li>{e(line)}</li>" for line in redaction_lines(info)) + "</ul>")
    if info.pseudonymize_hosts:
        parts.append('<p class="muted">Internal host names and private addresses were replaced by consistent '
                     "pseudonyms (host1.internal, ip-1...). The user can translate them back on their laptop.</p>")
    parts.append("<h2>Files in this bundle</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in info.files) + "</ul>")
    parts.append(f"<footer>Report schema version {report.schema_version}. report.json holds every measurement; "
                 "report.schema.json describes it. requests.har opens in a browser's network panel.</footer>")
    title = f"Stream Doctor: {VERDICT_LABEL.get(v.overall, v.overall.value)} ({host})"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\">"
            f"<title>{e(title)}</title><style>{CSS}</style></head><body><main>"
            + "\n".join(parts) + "</main></body></html>\n")
