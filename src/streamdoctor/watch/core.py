"""The watch loop: a few silent connections, a cheap heartbeat, the laptop's state, every cut recorded.

Cost is the design constraint (it runs for days on a laptop): one thread, one select() over the held
connections with a 1 s tick, no busy loop; the state is polled every few seconds (or read at once when the OS
announces a change); each held connection costs one TCP+TLS handshake and one small request per hold.

What is held: connections silent for the idle ladder's most informative rungs (`holds_s`): just below and
above a cut the idle test measured, else the field's common cuts (CGNAT/ALB ~60 s, Cloudflare 100 s, Azure
4 min). When a hold ends the connection is used (GET /v1/models without a key: any HTTP answer proves it
alive) and replaced by a fresh one; a connection that ends by itself, or gets no answer, is a cut, recorded
with its ending (RST/FIN/TLS close/drop), the silence it had, and the state at that moment. The heartbeat
is a bare TCP connect every `heartbeat_s`: when even that fails, the network is down (an outage, recorded
once at its start and once at its end).

After a network change or a wake the watch rechecks: the oldest connection opened before the change is used
at once, and fresh connections are opened over each address family. Old dead + fresh fine is the sticky
state ("the network is fine again; restart Claude Code"); fresh failing is "the network is still broken".
"""

from __future__ import annotations

import contextlib
import logging
import queue
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..cancel import CancelToken
from ..platform.netchange import ChangeSource, ClockJumps, change_source
from ..probes.base import ProbeContext
from ..probes.idle import _request
from ..probes.rawtls import DROP, RESET, ConnectError, RawConnection, http_status
from .probing import ending_of, recheck_verdict, request_once, short_stream
from .state import StateReader, comparable, resolve
from .store import Store

log = logging.getLogger(__name__)

DEFAULT_HOLDS_S = (100.0, 280.0)  # between the field's common cuts; two rungs keep traffic well under 1 MB/h
MIN_HOLD_S = 20.0  # shorter holds cost a handshake every few seconds for little news
TICK_S = 1.0  # the longest select() wait: cancel, state and clock checks run at least this often
STATS_EVERY_S = 600.0  # one "stats" row per 10 min: the proof the watch was alive in quiet hours
PRUNE_EVERY_S = 3600.0
RECHECK_TIMEOUT_S = 15.0
SETTLE_S = 0.5  # a VPN coming up is a burst (link, address, routes): read the state once the burst is over
STREAM_JOIN_S = 5.0  # a recheck waits this long for the pre-change connection's answer
WAITING, SENT = "waiting", "sent"
FAMILY: dict[int, str] = {int(socket.AF_INET): "ipv4", int(socket.AF_INET6): "ipv6"}


def holds_for_cut(cut_s: float | None) -> list[float]:
    """The informative rungs: around a measured cut (a death below it means worse, a survival above it means
    the box is gone, e.g. off the VPN), else the default pair."""
    if cut_s is None or cut_s <= 0:
        return list(DEFAULT_HOLDS_S)
    return sorted({round(max(MIN_HOLD_S, cut_s * 0.8), 1), round(max(MIN_HOLD_S * 1.5, cut_s * 1.25), 1)})


@dataclass
class WatchConfig:
    base_url: str
    holds_s: list[float] = field(default_factory=lambda: list(DEFAULT_HOLDS_S))
    heartbeat_s: float = 30.0
    state_poll_s: float = 5.0
    duration_s: float | None = None  # None: until cancelled
    max_events: int | None = None  # stop after this many recorded events (tests)
    connect_timeout_s: float = 5.0
    response_timeout_s: float = 10.0
    recheck_delay_s: float = 2.0  # let DHCP/routes settle after a change before judging it
    proxy: str | None = None
    ca_file: str = ""
    wifi: bool = True
    processes: bool = True
    events_source: bool = True  # use the OS's change events where available (else poll)
    api_key: str = ""  # with a key (and stream_every_s), a short real stream now and then
    stream_every_s: float | None = None
    stream_max_tokens: int = 64  # a short answer: enough to see it stream, a few tokens' cost
    model: str = ""


@dataclass
class _Slot:
    rung: int
    hold_s: float
    conn: RawConnection | None = None
    state: str = WAITING
    opened_mono: float = 0.0
    response: bytes = b""
    deadline: float = 0.0
    recheck: bool = False
    retry_at: float = 0.0
    silence: float = 0.0  # the silence the connection had when it was used


@dataclass
class _Recheck:
    reason: str
    change_mono: float
    due: float
    started: float = 0.0
    old: dict[str, Any] | None = None
    pending: int | None = None  # slot rung whose pre-change connection is being used
    fresh: dict[str, Any] = field(default_factory=dict)


@dataclass
class WatchSummary:
    events: int = 0
    cuts: int = 0
    cycles_ok: int = 0
    duration_s: float = 0.0
    change_source: str = ""


class Watcher:
    def __init__(self, cfg: WatchConfig, store: Store, cancel: CancelToken,
                 on_event: Callable[[str, dict[str, Any]], None] | None = None,
                 changes: ChangeSource | None = None, reader: StateReader | None = None) -> None:
        self.cfg, self.store, self.cancel = cfg, store, cancel
        self.on_event = on_event
        parts = urlsplit(cfg.base_url)
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.ctx = ProbeContext(base_url=cfg.base_url)
        self.reader = reader or StateReader(self.host, self.port, wifi=cfg.wifi, processes=cfg.processes)
        self.changes = changes or change_source(cfg.state_poll_s, prefer_events=cfg.events_source)
        self.clocks = ClockJumps(expected_s=TICK_S)  # held against the loop's one bounded wait per turn
        self.waited_s: float | None = None
        self.slots = [_Slot(i, max(0.5, h)) for i, h in enumerate(sorted(cfg.holds_s))]
        self.summary = WatchSummary(change_source=self.changes.name)
        self.state: dict[str, Any] = {}
        self.state_id: int | None = None
        self.outage_since: float | None = None
        self.recheck: _Recheck | None = None
        self.last_change_mono = -1e9
        self.last_wake_wall: float | None = None
        self.streams: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.stream_thread: threading.Thread | None = None
        self.streams_ok = 0

    # --- recording ------------------------------------------------------------------------------------

    def _event(self, kind: str, data: dict[str, Any], ending: str | None = None) -> None:
        self.store.add_event(kind, data, ending=ending, state_id=self.state_id)
        self.summary.events += 1
        if kind == "cut":
            self.summary.cuts += 1
        if self.on_event is not None:
            with contextlib.suppress(Exception):
                self.on_event(kind, {"ending": ending, **data})

    def _done(self, t0: float) -> bool:
        if self.cancel.cancelled:
            return True
        if self.cfg.duration_s is not None and time.monotonic() - t0 >= self.cfg.duration_s:
            return True
        return self.cfg.max_events is not None and self.summary.events >= self.cfg.max_events

    # --- the loop ---------------------------------------------------------------------------------------

    def run(self) -> WatchSummary:
        t0 = time.monotonic()
        self._read_state([], force=True)
        self._event("start", {"holds_s": [s.hold_s for s in self.slots], "heartbeat_s": self.cfg.heartbeat_s,
                              "target": f"{self.host}:{self.port}", "change_source": self.changes.name})
        next_state = next_beat = time.monotonic()
        next_stats, next_prune = t0 + STATS_EVERY_S, t0
        next_stream = t0 + (self.cfg.stream_every_s or 0)
        pending: list[str] = []  # change announcements waiting for their burst to end
        settle_at = 0.0
        last_stats_cycles = 0
        try:
            while not self._done(t0):
                now = time.monotonic()
                jump = self.clocks.check(self.waited_s)
                if jump is not None:
                    self.last_wake_wall = jump.at_wall
                    self._event("wake", {"how": jump.kind, "missing_s": jump.missing_s})
                    self._schedule_recheck(f"after {'sleep' if jump.kind == 'suspend' else 'a freeze'}")
                reasons = self.changes.wait(0.0)
                if reasons:
                    pending = [*pending, *(r for r in reasons if r not in pending)]
                    settle_at = now + SETTLE_S
                if (pending and now >= settle_at) or now >= next_state:
                    self._read_state(pending)
                    pending, next_state = [], now + self.cfg.state_poll_s
                if now >= next_beat:
                    self._heartbeat()
                    next_beat = time.monotonic() + self.cfg.heartbeat_s
                self._run_recheck()
                for slot in self.slots:
                    self._tend(slot)
                if self.cfg.stream_every_s and self.cfg.api_key and now >= next_stream:
                    self._start_stream()
                    next_stream = now + self.cfg.stream_every_s
                self._drain_streams()
                if now >= next_stats:
                    self._event("stats", {"cycles_ok": self.summary.cycles_ok - last_stats_cycles,
                                          "streams_ok": self.streams_ok})
                    last_stats_cycles, next_stats = self.summary.cycles_ok, now + STATS_EVERY_S
                if now >= next_prune:
                    self.store.prune()
                    next_prune = now + PRUNE_EVERY_S
                w0 = time.monotonic()
                self._wait(min(next_state, next_beat, settle_at if pending else next_state) - w0)
                self.waited_s = time.monotonic() - w0
        finally:
            for slot in self.slots:
                if slot.conn is not None:
                    slot.conn.close()
            self.changes.close()
            if self.stream_thread is not None:
                self.stream_thread.join(STREAM_JOIN_S)  # the shared cancel token ends it; bounded anyway
                with contextlib.suppress(Exception):
                    self._drain_streams()  # a stream that ended while we stopped is still news
            self.summary.duration_s = round(time.monotonic() - t0, 3)
            with contextlib.suppress(Exception):
                self.store.add_event("stop", {"duration_s": self.summary.duration_s,
                                              "cycles_ok": self.summary.cycles_ok}, state_id=self.state_id)
                self.store.checkpoint()
        return self.summary

    def _wait(self, until_next: float) -> None:
        now = time.monotonic()
        wait = min(TICK_S, max(0.0, until_next))
        live = [s for s in self.slots if s.conn is not None]
        for s in live:
            wait = min(wait, (s.conn.last_io + s.hold_s - now) if s.state == WAITING and s.conn else s.deadline - now)
        wait = max(0.0, wait)
        watched: list[Any] = [s.conn for s in live if s.conn is not None]
        events_sock = getattr(self.changes, "sock", None)  # the OS's change events wake the loop at once
        if events_sock is not None:
            watched.append(events_sock)
        if not watched:
            self.cancel.wait(wait)
            return
        try:
            ready, _, _ = select.select(watched, [], [], wait)
        except (OSError, ValueError):
            return
        for conn in ready:
            if conn is events_sock:
                continue  # read by the next turn's changes.wait(0)
            slot = next(s for s in live if s.conn is conn)
            self._readable(slot)

    # --- the occasional real stream (with a key) ------------------------------------------------------

    def _start_stream(self) -> None:
        if self.stream_thread is not None and self.stream_thread.is_alive():
            return  # the previous one is still running: never two at once
        self.stream_thread = threading.Thread(target=self._stream_once, name="watch-stream", daemon=True)
        self.stream_thread.start()

    def _stream_once(self) -> None:
        """A short streamed answer in a thread; the loop reads its outcome from the queue, so a slow answer
        never delays the watch of the held connections."""
        outcome = short_stream(self.cfg.base_url, self.cfg.api_key, self.cfg.ca_file, self.cfg.proxy,
                               self.cfg.stream_max_tokens, self.cfg.model, self.cancel)
        if outcome is not None:
            self.streams.put(outcome)

    def _drain_streams(self) -> None:
        while True:
            try:
                s = self.streams.get_nowait()
            except queue.Empty:
                return
            if s["ok"]:
                self.streams_ok += 1
            elif s.get("outcome") != "cancelled":
                ending = {"reset": RESET, "closed": "fin", "stalled": DROP}.get(str(s.get("outcome")))
                self._event("stream", {k: v for k, v in s.items() if k != "ok"}, ending=ending)

    # --- state ------------------------------------------------------------------------------------------

    def _read_state(self, reasons: list[str], force: bool = False) -> None:
        state = self.reader.read(force_slow=force)  # the slow parts refresh by themselves when the fast part changed
        if not force and comparable(state) == comparable(self.state):
            return
        before = self.state
        self.state = state
        self.state_id = self.store.add_state(state)
        if force:
            return
        changed = sorted(k for k, v in comparable(state).items() if comparable(before).get(k) != v)
        self.last_change_mono = time.monotonic()
        self._event("change", {"what": changed, "reasons": reasons[:5]})
        self._schedule_recheck("after a network change")

    # --- held connections ------------------------------------------------------------------------------

    def _tend(self, slot: _Slot) -> None:
        now = time.monotonic()
        if slot.conn is None:
            if now >= slot.retry_at and self.outage_since is None:
                self._open(slot)
            return
        if slot.state == WAITING and now - slot.conn.last_io >= slot.hold_s:
            self._use(slot)
        elif slot.state == SENT and now >= slot.deadline:
            self._cut(slot, DROP, silence=slot.silence, early=False)

    def _open(self, slot: _Slot) -> None:
        try:
            slot.conn = RawConnection.open(self.cfg.base_url, proxy=self.cfg.proxy, ca_file=self.cfg.ca_file,
                                           timeout=self.cfg.connect_timeout_s, cancel=self.cancel)
        except ConnectError as exc:
            slot.retry_at = time.monotonic() + self.cfg.heartbeat_s
            self._outage(str(exc), ending_of(exc.__cause__))
            return
        slot.state, slot.response, slot.recheck = WAITING, b"", False
        slot.opened_mono = time.monotonic()

    def _use(self, slot: _Slot) -> None:
        assert slot.conn is not None
        silence = time.monotonic() - slot.conn.last_io
        ending = slot.conn.send(_request(self.ctx, slot.conn))
        if ending is not None:
            self._cut(slot, ending, silence=silence, early=False)
            return
        slot.state, slot.deadline = SENT, time.monotonic() + self.cfg.response_timeout_s
        slot.response, slot.silence = b"", silence

    def _readable(self, slot: _Slot) -> None:
        assert slot.conn is not None
        silence = time.monotonic() - slot.conn.last_io
        data, ending = slot.conn.poll()
        slot.response += data
        if slot.state == SENT and http_status(slot.response) is not None:
            self.summary.cycles_ok += 1
            self._finish_recheck_slot(slot, alive=True)
            self._close(slot)
            return
        if ending is not None:
            early = slot.state == WAITING
            self._cut(slot, ending, silence=silence if early else slot.silence, early=early)

    def _cut(self, slot: _Slot, ending: str, silence: float, early: bool) -> None:
        assert slot.conn is not None
        fam = FAMILY.get(int(slot.conn.sock.family), "other")
        now_wall = time.time()
        data = {"rung": slot.rung, "hold_s": slot.hold_s, "silence_s": round(silence, 3), "early": early,
                "family": fam, "age_s": round(time.monotonic() - slot.opened_mono, 3),
                "opened_before_change": slot.opened_mono < self.last_change_mono,
                "since_last_io_wall": round(now_wall - silence, 3),
                "found_by": "recheck" if slot.recheck else ("itself" if early else "use")}
        self._event("cut", data, ending=ending)
        self._finish_recheck_slot(slot, alive=False, ending=ending)
        self._close(slot)

    def _close(self, slot: _Slot) -> None:
        if slot.conn is not None:
            slot.conn.close()
        slot.conn, slot.state, slot.recheck = None, WAITING, False

    # --- heartbeat and outages ------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        target = (self.host, self.port)
        if self.cfg.proxy:
            p = urlsplit(self.cfg.proxy if "://" in self.cfg.proxy else f"http://{self.cfg.proxy}")
            target = (p.hostname or "", p.port or 8080)
        try:
            with socket.create_connection(target, timeout=self.cfg.connect_timeout_s):
                pass
        except OSError as exc:
            self._outage(f"cannot connect to {target[0]}:{target[1]}: {exc}", ending_of(exc))
            return
        if self.outage_since is not None:
            down = time.time() - self.outage_since
            self.outage_since = None
            self._event("recovered", {"down_s": round(down, 3)})

    def _outage(self, why: str, ending: str | None = None) -> None:
        if self.outage_since is None:
            self.outage_since = time.time()
            self._event("outage", {"error": why[:200]}, ending=ending)

    # --- recheck after a change or a wake --------------------------------------------------------------

    def _schedule_recheck(self, reason: str) -> None:
        now = time.monotonic()
        self.recheck = _Recheck(reason, change_mono=now, due=now + self.cfg.recheck_delay_s)

    def _run_recheck(self) -> None:
        rc = self.recheck
        now = time.monotonic()
        if rc is None or now < rc.due:
            return
        if not rc.started:
            rc.started = now
            old = [s for s in self.slots
                   if s.conn is not None and s.state == WAITING and s.opened_mono < rc.change_mono]
            if old:
                slot = min(old, key=lambda s: s.opened_mono)
                slot.recheck = True
                rc.pending = slot.rung
                self._use(slot)
            rc.fresh = self._fresh_by_family()
        if rc.pending is None or now - rc.started > RECHECK_TIMEOUT_S:
            self._record_recheck(rc)

    def _finish_recheck_slot(self, slot: _Slot, alive: bool, ending: str | None = None) -> None:
        rc = self.recheck
        if rc is None or not slot.recheck or rc.pending != slot.rung:
            return
        rc.old = {"alive": alive, "ending": ending, "age_s": round(time.monotonic() - slot.opened_mono, 3)}
        rc.pending = None
        self._record_recheck(rc)

    def _fresh_by_family(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        families: set[int] = {f for f, _ in resolve(self.host, self.port)} if not self.cfg.proxy else {0}
        for fam in sorted(families):
            label = FAMILY.get(fam, "via proxy")
            t0 = time.monotonic()
            try:
                conn = RawConnection.open(self.cfg.base_url, proxy=self.cfg.proxy, ca_file=self.cfg.ca_file,
                                          timeout=self.cfg.connect_timeout_s, cancel=self.cancel, family=fam)
            except ConnectError as exc:
                out[label] = {"ok": False, "error": str(exc)[:200]}
                continue
            try:
                out[label] = request_once(self.ctx, conn, self.cfg.response_timeout_s)
                out[label]["time_s"] = round(time.monotonic() - t0, 3)
            finally:
                conn.close()
        return out

    def _record_recheck(self, rc: _Recheck) -> None:
        if self.recheck is not rc:
            return
        self.recheck = None
        self._event("recheck", {"reason": rc.reason, "old": rc.old, "fresh": rc.fresh,
                                "verdict": recheck_verdict(rc.old, rc.fresh)})
