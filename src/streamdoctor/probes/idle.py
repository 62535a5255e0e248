"""The idle test: how long may a connection to the API stay silent before something on the path kills it?

Many raw connections are opened at once, each is held silent for a different time on a geometric ladder
(~10 % steps), then used for a small request (GET /v1/models, no API key: any HTTP answer proves the connection
alive). Because neighbouring rungs are 10 % apart, the first casualty already brackets the cut to about
±5 %, so the answer is known as soon as the cut has passed once: the remaining connections are closed then.
A box that acts on its own (a proxy closing, a firewall sending RST at expiry) is seen the moment it strikes,
because every waiting socket is watched; a box that only reacts to the next packet (conntrack) is seen when
a connection past the cut is used.

Each connection runs TLS itself (rawtls), so the ending is known: RST, FIN, TLS close_notify, or silence.
Where fewer connections can be opened than the ladder needs (a proxy's per-client cap), later rounds refine
the bracket with new connections spread inside it, until it is as narrow as the ladder would have made it.

A second, "in-flight" probe sends a request whose answer the endpoint holds back silently (only the lab and
its gateways support this: the lab marks its answers), which is what a model thinking for minutes looks
like to a proxy's read timeout.
"""

from __future__ import annotations

import logging
import math
import select
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..cancel import CancelToken
from ..errors import Cancelled
from ..i18n import N_, _, ngettext
from ..model import Evidence, ProbeResult, Status
from ..protocol.constants import LAB_MARKER_HEADER, SILENT_HOLD_HEADER
from .base import ProbeContext, Progress, ProgressCallback, Stopwatch
from .proxy_choice import client_proxy
from .rawtls import DROP, FIN, RESET, TLS_CLOSE, ConnectError, RawConnection, http_status

log = logging.getLogger(__name__)

# Field defaults (seconds). ctx.options overrides each by name (the lab scales them down).
DEFAULTS = {
    "idle_min_s": 5.0,
    "idle_max_s": 420.0,  # past the API edge's own ~400 s idle close
    "idle_quick_max_s": 120.0,
    "idle_step": 1.1,  # neighbouring rungs 10 % apart: the first casualty brackets the cut to ~±5 %
    "idle_max_connections": 64,
    "idle_open_workers": 16,
    "idle_response_timeout_s": 0.0,  # 0: derived from the baseline request's answer time
    "idle_max_rounds": 4,
}
API_EDGE_MIN_S = 340.0  # a polite close at or beyond this, with no proxy in the way, is the API's own (~400 s)
MIN_RESPONSE_TIMEOUT_S = 2.0
MAX_RESPONSE_TIMEOUT_S = 20.0
_TICK_S = 0.25  # progress cadence and the longest select() wait, so a cancel is seen at once

# Per-connection states, as the GUI draws them (COMMON.md's "idle" progress shape).
WAITING, SENT, ALIVE, ERROR = "waiting", "sent", "alive", "error"
STATE_OF_ENDING = {RESET: "reset", FIN: "closed", TLS_CLOSE: "tls_close", DROP: "dropped"}
ENDING_OF_STATE = {v: k for k, v in STATE_OF_ENDING.items()}
DEAD = set(ENDING_OF_STATE)


def ladder(lo: float, hi: float, step: float, max_rungs: int = 1000) -> list[float]:
    """Geometric holds from lo to hi (both included), steps of `step` (1.1: 10 %)."""
    if hi <= lo:
        return [lo]
    n = max(1, min(max_rungs - 1, math.ceil(math.log(hi / lo) / math.log(step))))
    ratio = (hi / lo) ** (1 / n)
    return [round(lo * ratio**i, 3) for i in range(n + 1)]


def spread_order(n: int) -> list[int]:
    """Indices 0..n-1 in an order whose every prefix covers the range evenly (bit-reversal-like), so if only
    the first k connections can be opened they still span the whole ladder."""
    order: list[int] = []
    seen: set[int] = set()
    step = 1 << max(0, (n - 1).bit_length())
    while step >= 1:
        for i in range(0, n, step):
            if i not in seen:
                seen.add(i)
                order.append(i)
        step //= 2
    if n > 1:  # the longest hold second: a capped first round still reaches the top of the ladder
        order.remove(n - 1)
        order.insert(1, n - 1)
    return order


@dataclass
class Rung:
    """One connection of the ladder: how long it is held silent, and what happened to it."""

    id: int
    hold_s: float
    conn: RawConnection | None = None
    state: str = WAITING
    inflight: bool = False
    round: int = 1
    idle_s: float | None = None  # the silence it had when it ended or was used
    ended_s: float | None = None  # test time (since start) when it was resolved
    early: bool = False  # it ended by itself while held silent (the box acted on its own)
    deadline: float = 0.0
    response: bytes = b""
    http_status: int | None = None
    detail: str = ""
    lab: bool = False

    @property
    def terminal(self) -> bool:
        return self.state not in (WAITING, SENT)

    @property
    def dead(self) -> bool:
        return self.state in DEAD

    def view(self) -> dict[str, Any]:
        countdown = None
        if self.state == WAITING and self.conn is not None:
            countdown = max(0.0, self.hold_s - (time.monotonic() - self.conn.last_io))
        state = WAITING if self.state == SENT else self.state  # the GUI knows no "sent": still waiting for news
        return {"id": self.id, "hold_s": round(self.hold_s, 2), "state": state,
                "ended_s": None if self.ended_s is None else round(self.ended_s, 2),
                "idle_s": None if self.idle_s is None else round(self.idle_s, 2),
                "countdown_s": None if countdown is None else round(countdown, 1), "inflight": self.inflight}

    def record(self) -> dict[str, Any]:
        return {"id": self.id, "hold_s": round(self.hold_s, 3), "state": self.state, "round": self.round,
                "idle_s": None if self.idle_s is None else round(self.idle_s, 3),
                "ended_s": None if self.ended_s is None else round(self.ended_s, 3),
                "early": self.early, "http_status": self.http_status, "inflight": self.inflight,
                "detail": self.detail[:200]}


@dataclass
class Bracket:
    lo: float | None = None  # the longest silence a connection survived
    hi: float | None = None  # the shortest silence after which a connection was found dead
    ending: str | None = None
    direct: bool = False  # the cut was seen as it happened (the box acted by itself), not inferred by a request

    @property
    def cut_s(self) -> float | None:
        if self.hi is None:
            return None
        if self.direct or self.lo is None:
            return self.hi
        return (self.lo + self.hi) / 2


@dataclass
class _Run:
    ctx: ProbeContext
    progress: ProgressCallback
    cancel: CancelToken
    clock: Stopwatch
    proxy: str | None
    response_timeout_s: float
    rungs: list[Rung] = field(default_factory=list)
    next_id: int = 0
    last_progress: float = -1.0
    verdict_at_s: float | None = None
    max_connections: int = 64
    exchanges: list[dict[str, Any]] = field(default_factory=list)


class IdleProbe:
    name = "idle"
    title = N_("Silent connections")
    needs: tuple[str, ...] = ("env.proxy", "env.vpn")
    quick = False

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        opt = {k: type(v)(ctx.options.get(k, v)) for k, v in DEFAULTS.items()}
        top = opt["idle_quick_max_s"] if ctx.quick else opt["idle_max_s"]
        top = max(top, opt["idle_min_s"])
        proxy = client_proxy(ctx)
        clock = Stopwatch()
        if urlsplit(ctx.base_url).scheme not in ("http", "https"):
            return ProbeResult(self.name, Status.ERROR,
                               _("Could not test: {url} is not an http(s) URL", url=ctx.base_url))

        base = _baseline(ctx, proxy, cancel)
        if base.get("error"):
            return ProbeResult(self.name, Status.ERROR, _("Could not test: {reason}", reason=base["error"]), data={
                "cut_s": None, "bracket": [None, None], "ending": None, "connections": [], "max_tested_s": 0.0,
                "baseline": base, "proxy": proxy}, error=base["error"])
        response_timeout = opt["idle_response_timeout_s"] or min(
            MAX_RESPONSE_TIMEOUT_S, max(MIN_RESPONSE_TIMEOUT_S, 3 * base["response_s"] + 1.0))
        run = _Run(ctx, progress, cancel, clock, proxy, response_timeout,
                   max_connections=int(opt["idle_max_connections"]))
        holds = ladder(opt["idle_min_s"], top, opt["idle_step"])
        inflight = bool(base.get("lab"))
        try:
            bracket = self._rounds(run, holds, opt, inflight)
        except Cancelled:
            _close_all(run)
            return ProbeResult(self.name, Status.CANCELLED, _("Cancelled"), data=self._data(run, Bracket(), top, base))
        finally:
            _close_all(run)
        data = self._data(run, bracket, top, base)
        progress(Progress(self.name, 1.0, _summary(data), _live(run, bracket)))
        cut_found = data["cut_s"] is not None and not is_api_edge(data)
        status = Status.FAIL if cut_found or _inflight_cut(data) else Status.OK
        return ProbeResult(self.name, status, _summary(data), data, _evidence(data))

    # --- rounds -------------------------------------------------------------------------------------

    def _rounds(self, run: _Run, holds: list[float], opt: dict[str, Any], inflight: bool) -> Bracket:
        """First the whole ladder; then, if fewer connections could be opened than it needs, new rounds inside
        the bracket until it is as narrow as one ladder step (or the rounds run out)."""
        bracket = Bracket()
        round_no = 1
        while True:
            rungs = [Rung(self._id(run), h, round=round_no) for h in holds]
            if inflight:
                rungs.append(Rung(self._id(run), holds[-1], inflight=True, round=round_no))
                inflight = False  # one in-flight probe per test is enough
            opened = _open_all(run, rungs, int(opt["idle_open_workers"]))
            if opened == 0:
                raise_if(run.cancel)
                break
            bracket = _watch(run, rungs, bracket)
            width_ok = (bracket.hi is None or bracket.direct or bracket.lo is None
                        or bracket.hi / max(bracket.lo, 1e-6) <= opt["idle_step"] * 1.02)
            if width_ok or round_no >= int(opt["idle_max_rounds"]):
                break
            # Bisection with new connections: as many as could be opened, spread inside the bracket.
            round_no += 1
            assert bracket.lo is not None and bracket.hi is not None
            n = max(2, min(opened, run.max_connections))
            ratio = (bracket.hi / bracket.lo) ** (1 / (n + 1))
            holds = [round(bracket.lo * ratio**i, 3) for i in range(1, n + 1)]
        return bracket

    @staticmethod
    def _id(run: _Run) -> int:
        run.next_id += 1
        return run.next_id

    def _data(self, run: _Run, bracket: Bracket, top: float, base: dict[str, Any]) -> dict[str, Any]:
        ladder_rungs = [r for r in run.rungs if not r.inflight]
        inflight = next((r for r in run.rungs if r.inflight), None)
        cut = bracket.cut_s
        uncertainty = None
        if cut is not None:
            if bracket.direct:
                jitter = bracket.lo - cut if bracket.lo is not None and bracket.lo > cut else 0.0  # a sweep
                uncertainty = max(0.1, 0.02 * cut, jitter)
            elif bracket.lo is not None and bracket.hi is not None:
                uncertainty = (bracket.hi - bracket.lo) / 2
            else:
                uncertainty = bracket.hi
        alive = [r.idle_s for r in ladder_rungs if r.state == ALIVE and r.idle_s is not None]
        return {
            "cut_s": None if cut is None else round(cut, 3),
            "uncertainty_s": None if uncertainty is None else round(uncertainty, 3),
            "bracket": _ordered_pair(bracket.lo, bracket.hi),
            "ending": bracket.ending,
            "direct": bracket.direct,
            "connections": [r.record() for r in run.rungs],
            "max_tested_s": round(max(alive, default=0.0), 3),  # the longest silence seen survived
            "longest_alive_s": round(max(alive, default=0.0), 3),
            "ladder_top_s": top,
            "time_to_verdict_s": None if run.verdict_at_s is None else round(run.verdict_at_s, 3),
            "rounds": max((r.round for r in run.rungs), default=0),
            "response_timeout_s": round(run.response_timeout_s, 3),
            "baseline": base,
            "proxy": _safe_proxy(run.proxy),
            "tls": run.ctx.is_tls,
            "quick": run.ctx.quick,
            "inflight": inflight.record() if inflight is not None else None,
            "exchanges": run.exchanges[:5],
        }


def _ordered_pair(lo: float | None, hi: float | None) -> list[float | None]:
    """[lo, hi] rounded, low first: after a sweep the survivor can outlast the first casualty by a little."""
    pair = [None if lo is None else round(lo, 3), None if hi is None else round(hi, 3)]
    if pair[0] is not None and pair[1] is not None and pair[0] > pair[1]:
        pair.reverse()
    return pair


def raise_if(cancel: CancelToken) -> None:
    cancel.raise_if_cancelled()


# --- the baseline: does the endpoint answer a plain request at all, and how fast? -------------------------


def _request(ctx: ProbeContext, conn: RawConnection, silent_s: float = 0.0) -> bytes:
    parts = urlsplit(ctx.base_url)
    path = (parts.path.rstrip("/") or "") + "/v1/models"
    host = parts.netloc.rsplit("@", 1)[-1]
    lines = [f"GET {conn.request_target_prefix}{path} HTTP/1.1", f"Host: {host}", "User-Agent: streamdoctor-idle",
             "Accept: application/json", "anthropic-version: 2023-06-01", "Connection: close"]
    if silent_s:
        lines.append(f"{SILENT_HOLD_HEADER}: {silent_s:.3f}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _baseline(ctx: ProbeContext, proxy: str | None, cancel: CancelToken) -> dict[str, Any]:
    """One connection used at once: proves the endpoint answers and measures how long an answer takes."""
    t0 = time.monotonic()
    try:
        conn = RawConnection.open(ctx.base_url, proxy=proxy, ca_file=ctx.ca_file, timeout=ctx.connect_timeout_s,
                                  cancel=cancel)
    except ConnectError as exc:
        cancel.raise_if_cancelled()
        return {"error": exc.args[0] if exc.args else str(exc)}  # the Msg itself, so it can be re-said
    connect_s = time.monotonic() - t0
    unregister = cancel.on_cancel(conn.close)
    try:
        t1 = time.monotonic()
        if conn.send(_request(ctx, conn)) is not None:
            return {"error": _("the connection broke as soon as it was used"), "connect_s": connect_s}
        response = b""
        deadline = t1 + max(ctx.first_byte_timeout_s, 5.0)
        while http_status(response) is None:
            if cancel.cancelled:
                raise Cancelled()
            if time.monotonic() > deadline:
                return {"error": _("no answer to a plain request within {secs:.0f} s", secs=deadline - t1),
                        "connect_s": connect_s}
            select.select([conn], [], [], _TICK_S)
            data, ending = conn.poll()
            response += data
            if ending and http_status(response) is None:
                return {"error": _("the endpoint ended the connection ({ending}) instead of answering", ending=ending),
                        "connect_s": connect_s}
        status = http_status(response)
        head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
        return {"status": status, "response_s": round(time.monotonic() - t1, 4), "connect_s": round(connect_s, 4),
                "lab": f"\n{LAB_MARKER_HEADER}:" in head, "tls_version": conn.tls_version}
    finally:
        unregister()
        conn.close()


# --- opening and watching ---------------------------------------------------------------------------------


def _open_all(run: _Run, rungs: list[Rung], workers: int) -> int:
    """Open every rung's connection in parallel, in an order that spans the ladder if only some succeed."""
    order = spread_order(len(rungs))
    limit = run.max_connections
    chosen = [rungs[i] for i in order][:limit]
    for r in [rungs[i] for i in order][limit:]:
        r.state, r.detail = ERROR, "not opened: connection limit"
    run.rungs.extend(rungs)

    def open_one(rung: Rung) -> None:
        if run.cancel.cancelled:
            return
        try:
            rung.conn = RawConnection.open(run.ctx.base_url, proxy=run.proxy, ca_file=run.ctx.ca_file,
                                           timeout=run.ctx.connect_timeout_s, cancel=run.cancel)
        except ConnectError as exc:
            rung.state, rung.detail = ERROR, str(exc)
            return
        run.cancel.on_cancel(rung.conn.close)
        if rung.inflight:
            ending = rung.conn.send(_request(run.ctx, rung.conn, silent_s=rung.hold_s))
            rung.state = SENT
            rung.deadline = rung.conn.last_io + rung.hold_s + run.response_timeout_s
            if ending:
                _end(run, rung, ending, early=False)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="idle-open") as pool:
        list(pool.map(open_one, chosen))
    raise_if(run.cancel)
    opened = sum(1 for r in chosen if r.conn is not None)
    if 0 < opened < len(chosen):
        run.max_connections = opened  # a per-client cap: later rounds use no more than this
    return opened


def _end(run: _Run, rung: Rung, ending: str, early: bool, idle_s: float | None = None) -> None:
    """Record how the rung died. `idle_s` is the silence measured before reading the ending (reading it moves
    the connection's last-I/O time)."""
    assert rung.conn is not None
    if idle_s is not None:
        rung.idle_s = idle_s
    elif rung.idle_s is None:
        rung.idle_s = rung.hold_s
    rung.state = STATE_OF_ENDING[ending]
    rung.early = early
    rung.ended_s = run.clock()
    rung.conn.close()


def _use(run: _Run, rung: Rung) -> None:
    """The hold is over: send the small request; the answer (or its absence) says if the connection lived."""
    assert rung.conn is not None
    rung.idle_s = time.monotonic() - rung.conn.last_io
    ending = rung.conn.send(_request(run.ctx, rung.conn))
    if ending is not None:
        _end(run, rung, ending, early=False)
        return
    rung.state = SENT
    rung.deadline = time.monotonic() + run.response_timeout_s


def _readable(run: _Run, rung: Rung) -> None:
    assert rung.conn is not None
    was_waiting = rung.state == WAITING and not rung.inflight
    silence = time.monotonic() - rung.conn.last_io
    data, ending = rung.conn.poll()
    rung.response += data
    status = http_status(rung.response) if rung.state == SENT else None
    if rung.inflight and status is None and ending is not None:
        _end(run, rung, ending, early=True, idle_s=silence)
        return
    if status is not None:
        if rung.inflight:
            rung.idle_s = silence  # the in-flight request waited this long for its answer
            rung.early = silence < rung.hold_s * 0.95  # a proxy answered before the API did
        rung.http_status = status
        rung.state = ALIVE
        rung.ended_s = run.clock()
        rung.conn.close()
        _note_exchange(run, rung)
        return
    if ending is not None:
        _end(run, rung, ending, early=was_waiting, idle_s=silence if was_waiting else None)


def _note_exchange(run: _Run, rung: Rung) -> None:
    if len(run.exchanges) >= 5:
        return
    head = rung.response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = [[k.strip(), v.strip()] for k, _, v in (line.partition(":") for line in head[1:])]
    run.exchanges.append({
        "started": time.time(), "time_ms": 0.0, "method": "GET", "url": run.ctx.base_url.rstrip("/") + "/v1/models",
        "http_version": "HTTP/1.1", "status": rung.http_status,
        "request_headers": [["anthropic-version", "2023-06-01"], ["connection", "close"]],
        "response_headers": headers,
    })


def _watch(run: _Run, rungs: list[Rung], bracket: Bracket) -> Bracket:
    """Hold, use and watch every open connection of this round until the bracket is final."""
    live = [r for r in rungs if r.conn is not None and not r.terminal]
    while True:
        raise_if(run.cancel)
        now = time.monotonic()
        for r in live:
            if r.state == WAITING and r.conn is not None and now - r.conn.last_io >= r.hold_s:
                _use(run, r)
            elif r.state == SENT and now >= r.deadline and r.conn is not None:
                _end(run, r, DROP, early=False, idle_s=now - r.conn.last_io if r.inflight else None)
        live = [r for r in live if not r.terminal]
        bracket = _bracket(run, bracket)
        final = _final(rungs, bracket)
        if final:
            run.verdict_at_s = run.verdict_at_s or run.clock()
        _maybe_progress(run, bracket, force=final or not live)
        if final or not live:
            for r in live:
                if r.conn is not None:
                    if r.inflight:
                        r.idle_s = time.monotonic() - r.conn.last_io
                    r.conn.close()
                r.state = ERROR
                r.detail = "still silent when the test ended" if r.inflight else "not needed: the answer was known"
            return bracket
        wait = _TICK_S
        for r in live:
            if r.state == WAITING and r.conn is not None:
                wait = min(wait, r.conn.last_io + r.hold_s - now)
            elif r.state == SENT:
                wait = min(wait, r.deadline - now)
        try:
            ready, _w, _x = select.select([r.conn for r in live if r.conn is not None], [], [], max(0.0, wait))
        except (OSError, ValueError):
            raise_if(run.cancel)
            raise
        for conn in ready:
            rung = next(r for r in live if r.conn is conn)
            _readable(run, rung)


def _bracket(run: _Run, previous: Bracket) -> Bracket:
    """lo: the longest silence survived; hi: the shortest silence found fatal beyond it; over every round so far.
    A death with a longer survivor after it was a stray failure, not the cut, and is left out."""
    ladder_rungs = [r for r in run.rungs if not r.inflight and r.idle_s is not None]
    alive = [r.idle_s for r in ladder_rungs if r.state == ALIVE and r.idle_s is not None]
    longest_alive = max(alive, default=None)
    # Several connections cut by the box on its own are the cut even when one, used a moment before, survived a
    # little longer: boxes with a periodic timer (squid, conntrack's garbage collector) cut in sweeps, so the
    # silence at death jitters by up to the sweep interval. A single early death stays a possible stray.
    swept = sum(1 for r in ladder_rungs if r.dead and r.early) >= 2
    dead = sorted((r for r in ladder_rungs if r.dead and (longest_alive is None or (r.idle_s or 0) > longest_alive
                                                          or (swept and r.early))),
                  key=lambda r: r.idle_s or 0.0)
    b = Bracket(lo=longest_alive)
    if dead:
        b.hi, b.ending, b.direct = dead[0].idle_s, ENDING_OF_STATE[dead[0].state], dead[0].early
    elif previous.hi is not None and (longest_alive is None or previous.hi > longest_alive):
        b.hi, b.ending, b.direct = previous.hi, previous.ending, previous.direct
    return b


def _final(rungs: list[Rung], bracket: Bracket) -> bool:
    """The answer is final once a casualty is confirmed and nothing shorter is still undecided: either the box
    struck by itself (seen directly), or the next-longer rung died too (one stray failure is not a cut: if the
    next one survives, the search goes on)."""
    if bracket.hi is None:
        return False
    ordered = sorted((r for r in rungs if not r.inflight and r.state != ERROR), key=lambda r: r.hold_s)
    for i, r in enumerate(ordered):
        if not r.terminal:
            return False  # something shorter is still undecided
        if not r.dead:
            continue
        rest = ordered[i + 1:]
        if r.early or not rest or rest[0].dead:
            return True
        if not rest[0].terminal:
            return False  # wait for the next rung to confirm
    return False


def _close_all(run: _Run) -> None:
    for r in run.rungs:
        if r.conn is not None:
            r.conn.close()
        if not r.terminal:
            r.state = ERROR
            r.detail = r.detail or "closed: the test ended"


def _maybe_progress(run: _Run, bracket: Bracket, force: bool = False) -> None:
    t = run.clock()
    if not force and t - run.last_progress < _TICK_S:
        return
    run.last_progress = t
    cut = bracket.cut_s
    waiting = sum(1 for r in run.rungs if not r.terminal)
    if cut is not None:
        detail = _("cut near {cut:.1f} s, {secs:.0f} s elapsed", cut=cut, secs=t)
    else:
        detail = ngettext("{n} connection held silent, {secs:.0f} s elapsed",
                          "{n} connections held silent, {secs:.0f} s elapsed", waiting, secs=t)
    fraction = min(0.99, t / max(1.0, max((r.hold_s for r in run.rungs), default=1.0)))
    run.progress(Progress("idle", fraction, detail, _live(run, bracket)))


def _live(run: _Run, bracket: Bracket) -> dict[str, Any]:
    return {"kind": "idle", "elapsed_s": round(run.clock(), 2),
            "connections": [r.view() for r in run.rungs],
            "cut_estimate_s": None if bracket.cut_s is None else round(bracket.cut_s, 2)}


def _safe_proxy(proxy: str | None) -> str | None:
    """The proxy URL without credentials (reports and bundles never carry a password)."""
    if not proxy:
        return None
    p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    netloc = (p.hostname or "") + (f":{p.port}" if p.port else "")
    return f"{p.scheme}://{netloc}"


def is_api_edge(d: dict[str, Any]) -> bool:
    """A FIN/TLS close after ~400 s on a direct connection: the API edge closing an idle connection (normal)."""
    return (d.get("ending") in (FIN, TLS_CLOSE) and float(d.get("cut_s") or 0) >= API_EDGE_MIN_S
            and not d.get("proxy"))


def _inflight_cut(d: dict[str, Any]) -> bool:
    inf = d.get("inflight") or {}
    return bool(inf.get("early")) and inf.get("state") in ("reset", "closed", "tls_close", "alive")


def _summary(d: dict[str, Any]) -> str:
    if d["cut_s"] is not None and is_api_edge(d):
        return _("Silent connections survive until the API's own idle close after {secs:.0f} s (normal)",
                 secs=d["cut_s"])
    if d["cut_s"] is not None:
        # One whole sentence per way a connection ends, so each language can say it its own way.
        cut = {"secs": d["cut_s"], "margin": d["uncertainty_s"]}
        if d["ending"] == RESET:
            return _("Silent connections are reset after {secs:.1f} s (±{margin:.1f} s)", **cut)
        if d["ending"] == FIN:
            return _("Silent connections are closed (FIN) after {secs:.1f} s (±{margin:.1f} s)", **cut)
        if d["ending"] == TLS_CLOSE:
            return _("Silent connections are closed (TLS close) after {secs:.1f} s (±{margin:.1f} s)", **cut)
        if d["ending"] == DROP:
            return _("Silent connections are dropped silently after {secs:.1f} s (±{margin:.1f} s)", **cut)
        return _("Silent connections are cut after {secs:.1f} s (±{margin:.1f} s)", **cut)
    inf = d.get("inflight") or {}
    if _inflight_cut(d):
        how = f"HTTP {inf['http_status']}" if inf.get("state") == "alive" else inf.get("state")
        return _("A silent request was ended after {secs:.1f} s ({how}); idle connections survived",
                 secs=inf.get("idle_s") or 0.0, how=how)
    return _("No cut: silent connections survived {secs:.0f} s", secs=d["max_tested_s"])


def _evidence(d: dict[str, Any]) -> list[Evidence]:
    ev = []
    if d["cut_s"] is not None:
        ev.append(Evidence(_("Silence after which connections die"), d["cut_s"], "s"))
        ev.append(Evidence(_("How they end"), d["ending"]))
        lo, hi = d["bracket"]
        ev.append(Evidence(_("Longest silence survived"), lo if lo is not None else 0.0, "s"))
        ev.append(Evidence(_("Shortest silence found fatal"), hi, "s"))
    else:
        ev.append(Evidence(_("Longest silence survived"), d["longest_alive_s"], "s"))
    ev.append(Evidence(_("Connections tested"), sum(1 for c in d["connections"] if c["state"] != ERROR)))
    if d.get("proxy"):
        ev.append(Evidence(_("Through proxy"), d["proxy"]))
    inf = d.get("inflight")
    if inf and inf.get("state") != ERROR:
        ev.append(Evidence(_("Silent request in flight"), inf["state"], "",
                           f"held {inf['hold_s']} s, ended after {inf.get('idle_s')} s, HTTP {inf.get('http_status')}"))
    return ev
