"""The watch's timeline for report.html and charts/watch-timeline.svg, in the style of bundle/charts.py:
coloured bands for the network and VPN in effect, red marks for cuts (with their ending), grey for outages,
blue for wake-ups, dashed lines for network changes."""

from __future__ import annotations

import time

from ..bundle.charts import BAD, INK, LEFT, MUTED, RIGHT, WIDTH, _esc, _svg, _x_axis
from ..model import Report
from .timeline import Timeline, axis_unit, build

BAND_COLOURS = ("#e3f2fd", "#fff3e0", "#e8f5e9", "#f3e5f5", "#fffde7", "#e0f7fa")
WAKE = "#1565c0"
ENDING_SHORT = {"reset": "RST", "fin": "FIN", "tls_close": "TLS", "drop": "drop"}


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

    start = time.strftime("%Y-%m-%d %H:%M", time.localtime(tl.t0))
    body = [f'<text x="{LEFT - 56}" y="20" font-size="14" font-weight="600" fill="{INK}">'
            f"Background watch from {_esc(start)}: cuts, outages, wake-ups and network changes</text>"]
    for b0, b1, label in tl.bands:
        body.append(f'<rect x="{x(b0):.1f}" y="{top}" width="{max(1.0, x(b1) - x(b0)):.1f}" height="{band_h}" '
                    f'fill="{colour[label]}"><title>{_esc(label)}</title></rect>')
    for u0, u1 in tl.unseen:
        body.append(f'<rect x="{x(u0):.1f}" y="{top}" width="{max(1.0, x(u1) - x(u0)):.1f}" height="{band_h}" '
                    f'fill="#ffffff" stroke="{MUTED}" stroke-dasharray="2 2"><title>not watching</title></rect>')
    for o0, o1 in tl.outages:
        body.append(f'<rect x="{x(o0):.1f}" y="{top + band_h - 10}" width="{max(2.0, x(o1) - x(o0)):.1f}" '
                    f'height="10" fill="{MUTED}"><title>network unreachable</title></rect>')
    for t in tl.changes:
        body.append(f'<line x1="{x(t):.1f}" y1="{top - 6}" x2="{x(t):.1f}" y2="{top + band_h}" stroke="{INK}" '
                    f'stroke-dasharray="4 3"><title>network change</title></line>')
    for t in tl.wakes:
        body.append(f'<path d="M{x(t):.1f},{top - 8} l5,7 l-10,0 z" fill="{WAKE}"><title>wake-up</title></path>')
    for t, ending in tl.cuts:
        body.append(f'<text x="{x(t):.1f}" y="{top + band_h / 2 + 5}" text-anchor="middle" fill="{BAD}" '
                    f'font-weight="700">✕<title>cut: {_esc(ENDING_SHORT.get(ending, ending))}</title></text>')
    _x_axis(body, x0, x1, top + band_h + 4, tl.span / unit, f"{unit_name} since the watch started")
    # _x_axis labels ticks in axis units; the positions above are in seconds, scaled the same way.
    for i, label in enumerate(labels):
        y = legend_y + 18 * i
        body.append(f'<rect x="{x0}" y="{y - 10}" width="14" height="12" fill="{colour[label]}" stroke="{MUTED}"/>'
                    f'<text x="{x0 + 20}" y="{y}" fill="{INK}">{_esc(label)}</text>')
    endings: dict[str, int] = {}
    for _, e in tl.cuts:
        endings[ENDING_SHORT.get(e, e)] = endings.get(ENDING_SHORT.get(e, e), 0) + 1
    body.append(f'<text x="{x1}" y="{legend_y}" text-anchor="end" fill="{BAD}">'
                f"{len(tl.cuts)} cuts ✕ " + _esc(", ".join(f"{n} {k}" for k, n in endings.items())) + "</text>")
    desc = (f"{len(tl.cuts)} cuts, {len(tl.outages)} outages, {len(tl.wakes)} wake-ups, {len(tl.changes)} network "
            f"changes over {tl.span / 3600:.1f} h")
    return _svg(height, "Background watch timeline", body, desc)
