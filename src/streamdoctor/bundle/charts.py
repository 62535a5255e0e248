"""The report's pictures as plain SVG text, drawn from the report data (no plotting library, no scripts), so
they work offline, print sharply and can be pasted into a ticket on their own.

Three charts: the idle ladder (which silent connections survived, and where the cut lies), the stream timeline
(what arrived when, with the silences marked) and the bytes received over time. Each returns None when the run
has no data for it. Long runs are binned to the chart's pixel width, so a 5000-event stream stays small.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from ..i18n import N_, _, fmt_num, ngettext
from ..model import Report

WIDTH = 760
LEFT, RIGHT = 64, 24
FONT = "font-family=\"system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif\""
GOOD, BAD, MUTED, INK, ACCENT, GAP = "#2e7d32", "#c62828", "#9e9e9e", "#212121", "#1565c0", "#ffcc80"
DEAD_STATES = {"reset", "closed", "tls_close", "dropped", "fin", "drop"}
# an idle connection's state -> its label on the ladder (translated where drawn)
STATE_WORDS = {"alive": N_("alive"), "reset": N_("reset (RST)"), "closed": N_("closed (FIN)"),
               "tls_close": N_("TLS close"), "dropped": N_("dropped (silent)")}
# stream_gaps' reason -> the label of that silence on the timeline
GAP_WORDS = {"waiting for the first byte": N_("{secs:.1f} s waiting for the first byte"),
             "silent": N_("{secs:.1f} s silent"), "silent until the end": N_("{secs:.1f} s silent until the end")}
# the stream's lanes -> their labels
LANE_WORDS = {"text": N_("text"), "ping": N_("pings"), "other": N_("other")}


def _esc(s: Any) -> str:
    return escape(str(s), quote=True)


def _nice_step(span: float, target_ticks: int = 6) -> float:
    if span <= 0:
        return 1.0
    raw = span / target_ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _fmt(v: float) -> str:
    """An axis number the current language's way (0,5 in German)."""
    return fmt_num(v, ".0f") if abs(v - round(v)) < 1e-9 else fmt_num(v, "g")


def _svg(height: int, title: str, body: list[str], desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-label="{_esc(title)}" {FONT} font-size="12">'
        f"<title>{_esc(title)}</title><desc>{_esc(desc)}</desc>"
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>'
        + "".join(body) + "</svg>"
    )


def _x_axis(body: list[str], x0: float, x1: float, y: float, t_max: float, label: str) -> None:
    step = _nice_step(t_max)
    body.append(f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="{INK}" stroke-width="1"/>')
    t = 0.0
    while t <= t_max + 1e-9:
        x = x0 + (x1 - x0) * t / t_max
        body.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 4}" stroke="{INK}"/>'
                    f'<text x="{x:.1f}" y="{y + 16}" text-anchor="middle" fill="{INK}">{_fmt(t)}</text>')
        t += step
    body.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{y + 32}" text-anchor="middle" fill="{INK}">{_esc(label)}</text>')


# --- idle ladder ----------------------------------------------------------------------------------------


def idle_ladder_svg(report: Report) -> str | None:
    r = report.result("idle")
    d = r.data if r is not None else {}
    conns = [c for c in d.get("connections", []) if isinstance(c, dict) and not c.get("inflight")
             and isinstance(c.get("hold_s"), int | float) and c.get("state") not in ("error", "waiting", None)]
    if not conns:
        return None
    conns.sort(key=lambda c: (float(c["hold_s"]), int(c.get("id") or 0)))
    conns = conns[:40]  # a ladder is a few dozen rungs; more would not be readable anyway
    cut = d.get("cut_s") if isinstance(d.get("cut_s"), int | float) else None
    silences = [float(c.get("idle_s") or c["hold_s"]) for c in conns]
    t_max = max([*silences, float(cut or 0)]) * 1.08 or 1.0
    row_h, top = 18, 34
    x0, x1 = 150, WIDTH - RIGHT - 120
    height = top + row_h * len(conns) + 56
    body = [f'<text x="{LEFT - 56}" y="20" font-size="14" font-weight="600" fill="{INK}">'
            + _esc(_("Idle test: connections held silent, and which ones survived")) + "</text>"]
    lo, hi = (d.get("bracket") or [None, None])[:2] if isinstance(d.get("bracket"), list) else (None, None)
    if isinstance(lo, int | float) and isinstance(hi, int | float) and hi > lo:
        bx0, bx1 = x0 + (x1 - x0) * lo / t_max, x0 + (x1 - x0) * hi / t_max
        body.append(f'<rect x="{bx0:.1f}" y="{top - 4}" width="{bx1 - bx0:.1f}" height="{row_h * len(conns) + 4}" '
                    f'fill="{GAP}" opacity="0.45"/>')
    for i, (c, silence) in enumerate(zip(conns, silences, strict=True)):
        y = top + i * row_h
        state = str(c.get("state"))
        dead = state in DEAD_STATES
        colour = BAD if dead else GOOD if state == "alive" else MUTED
        w = (x1 - x0) * silence / t_max
        word = _(STATE_WORDS[state]) if state in STATE_WORDS else state
        hold = _("silent {secs} s", secs=_fmt(round(float(c["hold_s"]), 2)))
        body.append(f'<text x="{x0 - 8}" y="{y + 12}" text-anchor="end" fill="{INK}">{_esc(hold)}</text>'
                    f'<rect x="{x0}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 6}" rx="2" fill="{colour}"/>')
        if dead:
            body.append(f'<text x="{x0 + w + 4:.1f}" y="{y + 13}" fill="{BAD}" font-weight="700">✕</text>')
        shown = _("{state} after {secs:.1f} s", state=word, secs=silence) if dead else word
        body.append(f'<text x="{x1 + 8}" y="{y + 12}" fill="{colour}">{_esc(shown)}</text>')
    if cut is not None:
        cx = x0 + (x1 - x0) * float(cut) / t_max
        body.append(f'<line x1="{cx:.1f}" y1="{top - 10}" x2="{cx:.1f}" y2="{top + row_h * len(conns)}" '
                    f'stroke="{BAD}" stroke-width="2" stroke-dasharray="5 3"/>'
                    f'<text x="{cx + 4:.1f}" y="{top - 12}" fill="{BAD}" font-weight="600">'
                    + _esc(_("cut ≈ {secs:.1f} s", secs=float(cut))) + "</text>")
    _x_axis(body, x0, x1, top + row_h * len(conns) + 6, t_max, _("seconds of silence"))
    desc = (ngettext("{n} connection; cut at {secs:.1f} s", "{n} connections; cut at {secs:.1f} s", len(conns),
                     secs=float(cut)) if cut is not None
            else ngettext("{n} connection; none was cut", "{n} connections; none was cut", len(conns)))
    return _svg(height, _("Idle test"), body, desc)


# --- stream timeline and bytes ---------------------------------------------------------------------------


def _stream(report: Report) -> tuple[dict[str, Any], list[tuple[float, int, str]]] | None:
    r = report.result("stream")
    d = r.data if r is not None else {}
    samples = []
    for s in d.get("samples", []) or []:
        if isinstance(s, list | tuple) and len(s) >= 3 and isinstance(s[0], int | float):
            samples.append((float(s[0]), int(s[1]) if isinstance(s[1], int | float) else 0, str(s[2])))
    if not samples and not isinstance(d.get("total_s"), int | float):
        return None
    return d, samples


def stream_gaps(d: dict[str, Any], samples: list[tuple[float, int, str]]) -> list[tuple[float, float, str]]:
    """Silences worth showing: waiting for the first byte, long pauses, and the silence before the end."""
    total = float(d.get("total_s") or (samples[-1][0] if samples else 0.0))
    threshold = max(1.0, 0.05 * total)
    gaps: list[tuple[float, float, str]] = []
    times = [t for t, _n, _e in samples]
    if times and times[0] >= threshold:
        gaps.append((0.0, times[0], "waiting for the first byte"))
    for a, b in zip(times, times[1:], strict=False):
        if b - a >= threshold:
            gaps.append((a, b, "silent"))
    end = times[-1] if times else 0.0
    if d.get("outcome") not in ("completed", "http_error", None) and total - end >= threshold:
        gaps.append((end, total, "silent until the end"))
    return gaps


def stream_timeline_svg(report: Report) -> str | None:
    got = _stream(report)
    if got is None:
        return None
    d, samples = got
    total = float(d.get("total_s") or (samples[-1][0] if samples else 1.0)) or 1.0
    t_max = total * 1.04
    x0, x1 = LEFT + 40, WIDTH - RIGHT
    lane_y = {"text": 52, "ping": 84, "other": 116}
    height = 200
    body = [f'<text x="8" y="20" font-size="14" font-weight="600" fill="{INK}">'
            + _esc(_("Streamed answer: what arrived when")) + "</text>"]
    for name, y in lane_y.items():
        label = _(LANE_WORDS[name])
        body.append(f'<text x="{x0 - 8}" y="{y + 4}" text-anchor="end" fill="{INK}">{_esc(label)}</text>'
                    f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#eeeeee"/>')
    for a, b, why in stream_gaps(d, samples):
        gx0, gx1 = x0 + (x1 - x0) * a / t_max, x0 + (x1 - x0) * b / t_max
        body.append(f'<rect x="{gx0:.1f}" y="34" width="{max(gx1 - gx0, 1):.1f}" height="98" fill="{GAP}" '
                    'opacity="0.6"/>'
                    f'<text x="{(gx0 + gx1) / 2:.1f}" y="{146}" text-anchor="middle" fill="#e65100" font-weight="600">'
                    + _esc(_(GAP_WORDS[why], secs=b - a) if why in GAP_WORDS else why) + "</text>")
    # one tick per lane per pixel column at most: a 5000-event stream stays a few hundred elements
    columns: dict[tuple[str, int], float] = {}
    for t, _n, event in samples:
        lane = "text" if event == "content_block_delta" else "ping" if event == "ping" else "other"
        columns[(lane, int((x1 - x0) * t / t_max))] = t
    colour = {"text": ACCENT, "ping": MUTED, "other": INK}
    for (lane, px), _t in sorted(columns.items()):
        y = lane_y[lane]
        body.append(f'<line x1="{x0 + px}" y1="{y - 9}" x2="{x0 + px}" y2="{y + 9}" stroke="{colour[lane]}" '
                    f'stroke-width="1.5"/>')
    outcome = str(d.get("outcome") or "")
    ex = x0 + (x1 - x0) * total / t_max
    end_colour = GOOD if outcome == "completed" else BAD
    body.append(f'<line x1="{ex:.1f}" y1="34" x2="{ex:.1f}" y2="132" stroke="{end_colour}" stroke-width="2.5"/>'
                f'<text x="{ex - 4:.1f}" y="30" text-anchor="end" fill="{end_colour}" font-weight="700">'
                + _esc(_("{outcome} at {secs:.1f} s", outcome=outcome or _("end"), secs=total)) + "</text>")
    _x_axis(body, x0, x1, 156, t_max, _("seconds since the request was sent"))
    desc = ngettext("{n} event in {secs:.1f} s, ended: {outcome}", "{n} events in {secs:.1f} s, ended: {outcome}",
                    len(samples), secs=total, outcome=outcome)
    return _svg(height + 10, _("Stream timeline"), body, desc)


def bytes_over_time_svg(report: Report) -> str | None:
    got = _stream(report)
    if got is None:
        return None
    d, samples = got
    if not samples:
        return None
    total = float(d.get("total_s") or samples[-1][0]) or 1.0
    t_max = total * 1.04
    cumulative: list[tuple[float, int]] = []
    acc = 0
    for t, n, _e in samples:
        acc += n
        cumulative.append((t, acc))
    y_max = max(acc, 1) * 1.1
    x0, x1, y0, y1 = LEFT + 40, WIDTH - RIGHT, 190, 36
    body = [f'<text x="8" y="20" font-size="14" font-weight="600" fill="{INK}">'
            + _esc(_("Answer data received over time")) + "</text>"]
    step = _nice_step(y_max / 1024, 4) * 1024
    v = 0.0
    while v <= y_max:
        y = y0 - (y0 - y1) * v / y_max
        body.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#eeeeee"/>'
                    f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
                    + _esc(_("{size} KB", size=_fmt(round(v / 1024, 1)))) + "</text>")
        v += step
    for a, b, _why in stream_gaps(d, samples):
        gx0, gx1 = x0 + (x1 - x0) * a / t_max, x0 + (x1 - x0) * b / t_max
        body.append(f'<rect x="{gx0:.1f}" y="{y1}" width="{max(gx1 - gx0, 1):.1f}" height="{y0 - y1}" '
                    f'fill="{GAP}" opacity="0.45"/>')
    points: dict[int, tuple[float, float]] = {}
    for t, c in cumulative:  # last value per pixel column: the curve keeps its shape at any length
        px = int((x1 - x0) * t / t_max)
        points[px] = (x0 + px, y0 - (y0 - y1) * c / y_max)
    path = [f"{x0},{y0}"]
    prev_y = float(y0)
    for _px, (x, y) in sorted(points.items()):
        path.append(f"{x:.1f},{prev_y:.1f}")
        path.append(f"{x:.1f},{y:.1f}")
        prev_y = y
    ex = x0 + (x1 - x0) * total / t_max
    path.append(f"{ex:.1f},{prev_y:.1f}")
    body.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    outcome = str(d.get("outcome") or "")
    end_colour = GOOD if outcome == "completed" else BAD
    body.append(f'<circle cx="{ex:.1f}" cy="{prev_y:.1f}" r="4" fill="{end_colour}"/>'
                f'<text x="{ex - 6:.1f}" y="{prev_y - 8:.1f}" text-anchor="end" fill="{end_colour}" font-weight="600">'
                + _esc(_("{kb:.1f} KB, {outcome}", kb=acc / 1024, outcome=outcome or _("end"))) + "</text>")
    _x_axis(body, x0, x1, y0, t_max, _("seconds since the request was sent"))
    return _svg(240, _("Bytes over time"), body,
                _("{size} bytes of event data in {secs:.1f} s (wire total {wire} bytes)", size=acc, secs=total,
                  wire=d.get("bytes", "?")))


def all_charts(report: Report) -> dict[str, str]:
    """name -> SVG text, only for the charts this run has data for."""
    from ..watch.svg import watch_timeline_svg  # the background watch draws its own, in this style

    out = {}
    for name, fn in (("idle-ladder", idle_ladder_svg), ("stream-timeline", stream_timeline_svg),
                     ("bytes-over-time", bytes_over_time_svg), ("watch-timeline", watch_timeline_svg)):
        svg = fn(report)
        if svg:
            out[name] = svg
    return out
