"""report.html: one self-contained page (inline CSS and SVG, no scripts, no network) that IT can open in any
browser or print. Order follows what a reader needs: the verdict, what to change on the network, the
findings with their evidence, the pictures, then the details (checks, fixes on the laptop, environment, what
was redacted, the files in the bundle). Rendered from the redacted report only.
"""

from __future__ import annotations

from html import escape

from .. import i18n
from ..i18n import N_, _, fmt_num
from ..model import Evidence, Overall, Report
from . import facts
from .summary import BundleInfo, redaction_lines, utc

# chart name -> its caption (translated where shown: the language is chosen after import)
CHART_CAPTIONS = {
    "watch-timeline": N_("The background watch: coloured bands are the network and VPN in effect, ✕ a cut "
                         "connection, grey bars times the API was unreachable, triangles wake-ups, dashed lines "
                         "network changes."),
    "idle-ladder": N_("Each bar is one connection held silent for the time on the left. Green survived; red was "
                      "cut. The dashed line is the measured cut-off."),
    "stream-timeline": N_("Every tick is an event of the streamed answer (text, keep-alive pings, others). Shaded "
                          "areas are silences; the last line shows how the stream ended."),
    "bytes-over-time": N_("Answer data received over time. A flat line followed by the end marker means the "
                          "connection was cut while nothing was being sent."),
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

VERDICT_LABEL = {Overall.PROBLEM: N_("Problem found"), Overall.HEALTHY: N_("Healthy"),
                 Overall.UNTESTED: N_("Could not test")}


def verdict_label(overall: Overall) -> str:
    return _(VERDICT_LABEL[overall]) if overall in VERDICT_LABEL else overall.value


def html_lang(code: str) -> str:
    """Our language code as the BCP 47 tag <html lang> wants (zh_CN -> zh-CN), so browsers pick CJK fonts."""
    return "en" if code == i18n.PSEUDO else code.replace("_", "-")


def e(value: object) -> str:
    return escape(str(value), quote=True)


def _evidence_table(evidence: list[Evidence]) -> str:
    if not evidence:
        return ""
    rows = []
    for ev in evidence:
        shown = f"{ev.shown_value()} {ev.unit}" if ev.unit else ev.shown_value()
        raw = f"<pre>{e(ev.raw[:4000])}</pre>" if ev.raw and ev.raw != str(ev.value) else ""
        rows.append(f"<tr><th>{e(ev.label)}</th><td>{e(shown)}{raw}</td></tr>")
    return f"<table>{''.join(rows)}</table>"


def tag(name: str, text: str, attrs: str = "") -> str:
    """<name attrs>text</name> with the text escaped. Translated texts are passed in here, never written inside an
    f-string: the extractor does not look into f-strings, so a text there would never reach the catalogs."""
    return f"<{name}{attrs}>{e(text)}</{name}>"


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
    heads = (_("variable"), _("variant"), _("result"), _("measured"))
    out = [tag("h2", _("What changes the outcome"), ' id="matrix"') + '<p class="muted">'
           + e(_('Each variable was tried both ways on this network; a variable marked "flips the outcome" works one '
                 "way and fails the other."))
           + '</p><table class="checks matrix"><tr>' + "".join(f"<th>{e(h)}</th>" for h in heads) + "</tr>"]
    flips = e(_("flips the outcome"))
    for r in rows:
        flag = f' <span class="badge problem">{flips}</span>' if r.variable in flipped else ""
        out.append(f"<tr><td>{e(r.variable)}{flag}</td><td>{e(r.variant)}</td><td><span class=\"badge "
                   f"{badge.get(r.outcome, 'skipped')}\">{e(r.outcome)}</span></td><td>{e(r.number)}</td></tr>")
    out.append("</table>")
    return "".join(out)


def render_html(report: Report, info: BundleInfo, charts: dict[str, str]) -> str:
    v = report.verdict
    host, port = facts.api_endpoint(report)
    parts: list[str] = []
    meta = (_("Stream Doctor {version} · report for {host}:{port} · simulated lab profile {lab} · {when}",
              version=report.app_version, host=host, port=str(port), lab=report.target["lab_profile"],
              when=utc(report.created_at)) if report.target.get("lab_profile")
            else _("Stream Doctor {version} · report for {host}:{port} · {when}", version=report.app_version,
                   host=host, port=str(port), when=utc(report.created_at)))
    parts.append(f'<p class="meta">{e(meta)}</p>')
    parts.append(f'<section class="verdict {e(v.overall.value)}" id="verdict"><div class="label">'
                 f"{e(verdict_label(v.overall))}</div>"
                 f'<p class="headline">{e(v.headline)}</p></section>')
    seen = report.target.get("user_error")
    if isinstance(seen, dict) and seen.get("sentence"):  # check --error / the wizard's "What did you see?"
        parts.append('<p class="seen">' + tag("b", _("The user saw:"))
                     + f' {e(str(seen.get("text", "")))}<br>{e(str(seen["sentence"]))}</p>')

    changes = facts.network_changes(report)
    items = "".join(f'<li><div class="what">{e(c.title)}</div><div>{e(c.detail)}</div></li>' for c in changes)
    body = (f"<ol>{items}</ol>" if changes
            else tag("p", _("Nothing to change on the network: no network problem was measured."), ' class="muted"'))
    facts_rows = facts.network_facts(report)
    measured = tag("h3", _("Measured")) + _rows(facts_rows) if facts_rows else ""
    intro = _("For the IT / network team. Each request quotes what was measured from this laptop.")
    parts.append('<section class="it" id="network-changes">' + tag("h2", _("What to change on the network"))
                 + f'<p class="muted">{e(intro)}</p>' + body + measured + "</section>")

    parts.append(tag("h2", _("Findings")))
    if not v.findings:
        parts.append(tag("p", _("No findings."), ' class="muted"'))
    for f in v.findings:
        sev = f.severity.value
        ask = '<p class="ask">' + tag("b", _("Ask IT:")) + f" {e(f.ask_it)}</p>" if f.ask_it else ""
        fixes = (tag("p", _("Fixes on the laptop: {ids}", ids=", ".join(f.fix_ids)), ' class="muted"')
                 if f.fix_ids else "")
        confidence = _("confidence {level}", level=f.confidence.value)
        cause = (_("{cause} · failure mode {mode}", cause=f.cause, mode=str(f.failure_mode)) if f.failure_mode
                 else f.cause)
        parts.append(f'<div class="card {e(sev)}"><h3>{e(f.title)}</h3>'
                     f'<p><span class="badge {e(sev)}">{e(sev)}</span><span class="badge">'
                     f"{e(confidence)}</span>"
                     f'<span class="muted">{e(cause)}</span></p>'
                     f"<p>{e(f.plain)}</p>{_evidence_table(f.evidence)}{ask}{fixes}</div>")

    parts.append(_matrix_section(report))

    if charts:
        parts.append(tag("h2", _("Pictures")))
        for name, svg in charts.items():
            caption = _(CHART_CAPTIONS[name]) if name in CHART_CAPTIONS else ""
            parts.append(f'<figure id="chart-{e(name)}">{svg}<figcaption>{e(caption)}</figcaption></figure>')

    heads = (_("check"), _("result"), _("summary"), _("time"))
    parts.append(tag("h2", _("Checks that ran")) + '<table class="checks"><tr>'
                 + "".join(f"<th>{e(h)}</th>" for h in heads) + "</tr>")
    for r in report.results:
        err = f"<pre>{e(r.error[:2000])}</pre>" if r.error else ""
        took = _("{secs} s", secs=fmt_num(r.duration_s, ".1f"))
        parts.append(f"<tr><td>{e(r.probe)}</td><td><span class=\"badge {e(r.status.value)}\">{e(r.status.value)}"
                     f"</span></td><td>{e(r.summary)}{err}</td><td>{e(took)}</td></tr>")
    parts.append("</table>")
    details = [r for r in report.results if r.evidence and not any(f.evidence == r.evidence for f in v.findings)]
    for r in details:
        parts.append('<div class="card info">' + tag("h3", _("{check}: evidence", check=r.probe))
                     + f"{_evidence_table(r.evidence)}</div>")

    parts.append(tag("h2", _("Fixes applied on this laptop")))
    if not info.fixes:
        none = (_("None.") if info.fixes is not None
                else _("None (the fix journal is not available in this build)."))
        parts.append(f"<p>{e(none)}</p>")
    else:
        rows = []
        for rec in info.fixes:
            title, state, touched = facts.describe_fix(rec)
            when = utc(float(rec["created_at"])) if isinstance(rec.get("created_at"), int | float) else ""
            rows.append(f"<tr><td>{e(title)}</td><td>{e(state)}</td><td>{e(touched)}</td><td>{e(when)}</td></tr>")
        heads = (_("fix"), _("state (undo)"), _("changed"), _("when"))
        parts.append('<table class="checks"><tr>' + "".join(f"<th>{e(h)}</th>" for h in heads) + "</tr>"
                     + "".join(rows) + "</table>")

    parts.append(tag("h2", _("Environment")) + _rows(facts.environment(report)))
    parts.append(tag("h2", _("What was redacted")) + "<p>"
                 + e(_("Before this bundle was written, secrets were removed from every file (report, logs, command "
                       "outputs, HTTP headers, pictures):"))
                 + "</p><ul>" + "".join(f"<li>{e(line)}</li>" for line in redaction_lines(info)) + "</ul>")
    if info.pseudonymize_hosts:
        parts.append('<p class="muted">' + e(_("Internal host names and private addresses were replaced by "
                                               "consistent pseudonyms (host1.internal, ip-1...). The user can "
                                               "translate them back on their laptop.")) + "</p>")
    parts.append(tag("h2", _("Files in this bundle")) + "<ul>"
                 + "".join(f"<li>{e(n)}</li>" for n in info.files) + "</ul>")
    parts.append("<footer>" + e(_("Report schema version {version}. report.json holds every measurement; "
                                  "report.schema.json describes it. requests.har opens in a browser's network "
                                  "panel.", version=str(report.schema_version))) + "</footer>")
    title = _("Stream Doctor: {verdict} ({host})", verdict=verdict_label(v.overall), host=host)
    return (f'<!DOCTYPE html>\n<html lang="{e(html_lang(i18n.current()))}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\">"
            f"<title>{e(title)}</title><style>{CSS}</style></head><body><main>"
            + "\n".join(parts) + "</main></body></html>\n")
