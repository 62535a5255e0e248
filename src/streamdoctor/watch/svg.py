"""The watch's timeline for report.html and charts/watch-timeline.svg, in the style of bundle/charts.py:
coloured bands for the network and VPN in effect, red marks for cuts (with their ending), grey for outages,
blue for wake-ups, dashed lines for network changes."""

from __future__ import annotations

import datetime as _dt

from .. import i18n
from ..bundle.charts import BAD, INK, LEFT, MUTED, RIGHT, WIDTH, _esc, _svg, _x_axis
from ..i18n import N_, _, ngettext
from ..model import Report
from .timeline import Timeline, axis_unit, build

BAND_COLOURS = ("#e3f2fd", "#fff3e0", "#e8f5e9", "#f3e5f5", "#fffde7", "#e0f7fa")
WAKE = "#1565c0"
ENDING_SHORT = {"reset": "RST", "fin": "FIN", "tls_close": "TLS", "drop": N_("drop")}
# timeline.axis_unit's unit -> the axis label (translated where drawn)
AXIS_LABELS = {"hours": N_("hours since the watch started"), "minutes": N_("minutes since the watch started"),
               "seconds": N_("seconds since the watch started")}


def _ending_short(ending: str) -> str:
    short = ENDING_SHORT.get(ending, ending)
    return _(short) if short == "drop" else short


def watch_timeline_svg(report: Report) -> str | None:
    r = report.result("watch")
    if r is None or not r.data.get("events"):
        return None
    tl = build(list(r.data["events"]), dict(r.data.get("states") or {}))
    if tl is None:
        return None
    return render(tl)


def render(tl: Timeline) -> str:
    unit, unit_name = axis_unit(tl.span)
    x0, x1 = LEFT + 40, WIDTH - RIGHT
    labels = sorted({b[2] for b in tl.bands})
    colour = {label: BAND_COLOURS[i % len(BAND_COLOURS)] for i, label in enumerate(labels)}
    top, band_h = 34, 46
    legend_y = top + band_h + 52
    height = legend_y + 18 * len(labels) + 16

    def x(t: float) -> float:
        return x0 + (x1 - x0) * (t - tl.t0) / tl.span

    start = i18n.format_datetime(_dt.datetime.fromtimestamp(tl.t0), i18n.current())
    heading = _("Background watch from {start}: cuts, outages, wake-ups and network changes", start=start)
    not_watching, unreachable, change, wake = (_("not watching"), _("network unreachable"), _("network change"),
                                               _("wake-up"))
    body = [f'<text x="{LEFT - 56}" y="20" font-size="14" font-weight="600" fill="{INK}">{_esc(heading)}</text>']
    for b0, b1, label in tl.bands:
        body.append(f'<rect x="{x(b0):.1f}" y="{top}" width="{max(1.0, x(b1) - x(b0)):.1f}" height="{band_h}" '
                    f'fill="{colour[label]}"><title>{_esc(label)}</title></rect>')
    for u0, u1 in tl.unseen:
        body.append(f'<rect x="{x(u0):.1f}" y="{top}" width="{max(1.0, x(u1) - x(u0)):.1f}" height="{band_h}" '
                    f'fill="#ffffff" stroke="{MUTED}" stroke-dasharray="2 2">'
                    f"<title>{_esc(not_watching)}</title></rect>")
    for o0, o1 in tl.outages:
        body.append(f'<rect x="{x(o0):.1f}" y="{top + band_h - 10}" width="{max(2.0, x(o1) - x(o0)):.1f}" '
                    f'height="10" fill="{MUTED}"><title>{_esc(unreachable)}</title></rect>')
    for t in tl.changes:
        body.append(f'<line x1="{x(t):.1f}" y1="{top - 6}" x2="{x(t):.1f}" y2="{top + band_h}" stroke="{INK}" '
                    f'stroke-dasharray="4 3"><title>{_esc(change)}</title></line>')
    for t in tl.wakes:
        body.append(f'<path d="M{x(t):.1f},{top - 8} l5,7 l-10,0 z" fill="{WAKE}">'
                    f"<title>{_esc(wake)}</title></path>")
    for t, ending in tl.cuts:
        cut = _("cut: {ending}", ending=_ending_short(ending))
        body.append(f'<text x="{x(t):.1f}" y="{top + band_h / 2 + 5}" text-anchor="middle" fill="{BAD}" '
                    f'font-weight="700">✕<title>{_esc(cut)}</title></text>')
    axis = AXIS_LABELS.get(unit_name)
    _x_axis(body, x0, x1, top + band_h + 4, tl.span / unit, _(axis) if axis else unit_name)
    # _x_axis labels ticks in axis units; the positions above are in seconds, scaled the same way.
    for i, label in enumerate(labels):
        y = legend_y + 18 * i
        body.append(f'<rect x="{x0}" y="{y - 10}" width="14" height="12" fill="{colour[label]}" stroke="{MUTED}"/>'
                    f'<text x="{x0 + 20}" y="{y}" fill="{INK}">{_esc(label)}</text>')
    endings: dict[str, int] = {}
    for _t, e in tl.cuts:
        endings[_ending_short(e)] = endings.get(_ending_short(e), 0) + 1
    counted = ngettext("{n} cut ✕ {endings}", "{n} cuts ✕ {endings}", len(tl.cuts),
                       endings=", ".join(f"{n} {k}" for k, n in endings.items()))
    body.append(f'<text x="{x1}" y="{legend_y}" text-anchor="end" fill="{BAD}">{_esc(counted)}</text>')
    desc = _("cuts: {cuts}, outages: {outages}, wake-ups: {wakes}, network changes: {changes}, over {hours:.1f} h",
             cuts=len(tl.cuts), outages=len(tl.outages), wakes=len(tl.wakes), changes=len(tl.changes),
             hours=tl.span / 3600)
    return _svg(height, _("Background watch timeline"), body, desc)
