"""Who cut it: find the hop that resets or answers in place of the API, and (with consent) capture the proof.

"Your network resets connections" tells IT what happens, not where. This probe traces toward the API's port
with rising TTLs (hoptrace.py; no privileges) and names the hop: this computer, the device N hops away at
address A, or the server's end. With the user's consent (`check --capture`) the privileged helper captures
our own test connections only, and each reset is compared with the server's packets (attribute.py); the
capture goes into the bundle as pcapng, headers only.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from ...cancel import CancelToken
from ...capture.packet import SNAPLEN, parse_ipv4_tcp
from ...capture.pcapng import pcapng_bytes
from ...capture.session import CaptureSession, Unavailable, tcp_packets
from ...i18n import N_, _
from ...model import Evidence, ProbeResult, Status
from ..base import ProbeContext, Progress, ProgressCallback, run_threads
from ..netpath import PathError, resolve
from ..proxy_choice import client_proxy
from ..tlswire import client_hello
from . import errqueue
from .attribute import LAPTOP, MIDDLEBOX, attribute_resets, locate, missing_resets
from .hoptrace import MAX_TTL, Step, trace

IDLE_HOLD_MAX_S = 150.0  # placing an idle cut holds connections silent past it: only for cuts this short
STEP_TIMEOUT_S = 2.0  # a router answers "time exceeded" within a round trip; silence after 2 s is silence
CAPTURE_LIMIT_S = 120  # the helper stops by itself after this even if we never tell it to
REDACTION_NOTE = ("Stream Doctor capture: only TCP packets between this computer and {target} (our own test "
                  "connections), cut after {snaplen} bytes: IP and TCP headers only. Payloads are TLS or a "
                  "key-less test request; nothing else of this computer's traffic is in this file.")


def os_support() -> str:
    """What this OS lets an unprivileged trace learn (also said in the README)."""
    if errqueue.SUPPORTED:
        return N_("hop addresses and the TTL of every answer (Linux IP_RECVERR, no privileges needed)")
    return N_("the TTL at which an answer or reset first comes, but no hop addresses: this OS does not hand ICMP "
              "errors to an unprivileged TCP/UDP socket")


def target_of(ctx: ProbeContext) -> tuple[str, int, bytes, str]:
    """(host, port, payload, kind): the first TCP endpoint the clients talk to, and what they send first
    (kind: tls-hello, http-request, or proxy-connect when the clients go through a proxy)."""
    proxy = client_proxy(ctx)
    if proxy:
        parts = urlsplit(proxy)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        req = f"CONNECT {ctx.host}:{ctx.port} HTTP/1.1\r\nHost: {ctx.host}:{ctx.port}\r\n\r\n".encode()
        return parts.hostname or "", port, req, "proxy-connect"
    if ctx.is_tls:
        return ctx.host, ctx.port, client_hello(ctx.host, large=False), "tls-hello"
    req = (f"GET /v1/models HTTP/1.1\r\nHost: {ctx.host}:{ctx.port}\r\nUser-Agent: streamdoctor-path-trace\r\n"
           "Connection: close\r\n\r\n").encode()
    return ctx.host, ctx.port, req, "http-request"


def apply_capture(data: dict[str, Any], records: list[tuple[float, str, bytes, int]], ours: set[int]) -> None:
    """Judge a capture into `data`: only our own connections (`ours`: local ports; the filter was address:port,
    which other programs may use meanwhile), each reset against the server's packets, the pcapng for IT."""
    address, port, where = data["address"], data["port"], data["trace"]
    kept = [r for r in records if _ours(r, ours)]
    left_out, records = len(records) - len(kept), kept
    packets = tcp_packets(records)
    trace_ports = set(data.get("own_ports") or [])
    verdicts = attribute_resets(packets, address, port, where["server_hops"], set(data.get("data_ports") or []))
    if data.get("idle_ports"):
        data["capture_idle"] = attribute_resets(packets, address, port, where["server_hops"],
                                                set(data["idle_ports"]))
    if ours - trace_ports:  # the idle and stream tests' connections (a capture of the whole check)
        data["capture_tests"] = attribute_resets(packets, address, port, where["server_hops"], ours - trace_ports)
        data["capture_tests"]["connections"] = len(ours - trace_ports)
    trace_resets = sum(1 for s in data["traces"]["data"] if s["outcome"] == "reset")
    verdicts["resets_not_on_wire"] = missing_resets(trace_resets, verdicts)
    note = REDACTION_NOTE.format(target=f"{address}:{port}", snaplen=SNAPLEN)
    blob = pcapng_bytes(records, comment=note)
    data["capture"] = {"ok": True, **verdicts, "redaction_note": note, "other_packets_left_out": left_out,
                       "pcapng_b64": base64.b64encode(blob).decode("ascii")}


def finish_window(window: Any, results: list[ProbeResult]) -> list[ProbeResult]:
    """After the whole check: judge the capture around it into the whocut result (rebuilt with its words)."""
    if window is None:
        return results
    out = []
    for r in results:
        if r.probe == WhoCutProbe.name and r.data.get("trace") is not None:
            data = dict(r.data)
            if window.records is None:
                data["capture"] = {"ok": False, "error": window.error or "no capture"}
            else:
                apply_capture(data, window.records, set(window.ports) | set(data.get("own_ports") or []))
            fresh = WhoCutProbe()._result(data)
            fresh.started_at, fresh.duration_s = r.started_at, r.duration_s
            r = fresh
        out.append(r)
    return out


def _ours(record: tuple[float, str, bytes, int], ports: set[int]) -> bool:
    pkt = parse_ipv4_tcp(record[2])
    return pkt is not None and (pkt.sport in ports or pkt.dport in ports)


def _idle_hold(ctx: ProbeContext) -> float | None:
    """How long to hold connections silent to place the idle test's reset cut, or None (no such cut, or one
    too long to wait for again)."""
    idle = ctx.results.get("idle")
    d = idle.data if idle is not None else {}
    cut = d.get("cut_s")
    limit = float(ctx.options.get("whocut_idle_max_s", IDLE_HOLD_MAX_S))
    if d.get("ending") != "reset" or not isinstance(cut, int | float) or not 0 < cut <= limit:
        return None
    return float(cut) * 1.25 + 1.0  # past the cut with the idle test's bracket to spare


class WhoCutProbe:
    name = "path.whocut"
    title = N_("Which hop cuts")
    # After the idle test (when it runs): a reset cut it measured is placed too, by holding connections silent
    # past the cut and then sending with rising TTL.
    needs: tuple[str, ...] = ("env.proxy", "idle")
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        host, port, payload, what = target_of(ctx)
        try:
            infos = resolve(host, port, ctx.connect_timeout_s, cancel)
        except PathError as exc:
            return ProbeResult(self.name, Status.ERROR, _("Could not trace: {reason}", reason=exc.detail),
                               {"target": host},
                               error=exc.detail)
        v4 = [a for f, a in infos if f == socket.AF_INET]
        if not v4:
            return ProbeResult(self.name, Status.SKIPPED, _("No IPv4 address to trace (IPv6 traces are not done yet)"),
                               {"skipped": True, "target": host})
        address = v4[0]
        if address.startswith("127."):
            return ProbeResult(self.name, Status.SKIPPED, _("The API is on this computer: no path to trace"),
                               {"skipped": True, "target": host})
        timeout = float(ctx.options.get("whocut_step_s", STEP_TIMEOUT_S))
        data: dict[str, Any] = {"target": host, "address": address, "port": port, "payload": what,
                                "os_support": os_support(), "step_timeout_s": timeout}
        session = None
        hold = _idle_hold(ctx)
        window = ctx.options.get("whocut_window")  # a capture around the whole check (capture/window.py)
        if ctx.options.get("whocut_capture") and window is None:
            progress(Progress(self.name, None, _("starting the packet capture (administrator)")))
            try:
                session = CaptureSession(address, port, CAPTURE_LIMIT_S + int(hold or 0))
            except (Unavailable, OSError) as exc:
                data["capture"] = {"ok": False, "error": str(exc)[:300]}
        progress(Progress(self.name, None, _("tracing toward {address}:{port} with rising TTL", address=address,
                                                port=port)))
        traces: dict[str, list[Step]] = {}
        kinds = ["syn", "data"] + (["udp"] if errqueue.SUPPORTED else [])
        max_ttl = 16 if ctx.quick else MAX_TTL

        def one(kind: str) -> None:
            traces[kind] = trace(kind, address, port, payload, timeout, cancel, max_ttl)

        t0 = time.monotonic()
        idle_steps: list[Step] = []
        try:
            run_threads([threading.Thread(target=one, args=(k,), daemon=True) for k in kinds], cancel)
            where = locate(traces.get("udp", []), traces["syn"], traces["data"])
            if hold is not None and where["server_hops"]:
                progress(Progress(self.name, None, _("holding connections silent for {secs:.0f} s to place the "
                                                    "idle cut", secs=hold)))
                idle_steps = trace("data", address, port, payload, timeout, cancel, int(where["server_hops"]),
                                   hold_s=hold)
        finally:
            records = self._stop(session, data)
        data["trace_s"] = round(time.monotonic() - t0, 3)
        data["traces"] = {k: [s.to_dict() for s in v] for k, v in traces.items()}
        data["trace"] = where
        if idle_steps:
            data["idle_trace"] = {"hold_s": round(hold or 0, 2), "steps": [s.to_dict() for s in idle_steps],
                                  "placed": locate(traces.get("udp", []), traces["syn"], idle_steps)}
        data["data_ports"] = sorted({st.local_port for st in traces["data"] if st.local_port})
        data["idle_ports"] = sorted({st.local_port for st in idle_steps if st.local_port})
        data["own_ports"] = sorted({st.local_port for steps in [*traces.values(), idle_steps] for st in steps
                                    if st.local_port})
        if window is not None:
            data["capture"] = {"ok": False, "error": "the capture of the whole check is analysed at its end"}
        if records is not None:
            apply_capture(data, records, set(data["own_ports"]))
        return self._result(data)

    @staticmethod
    def _stop(session: CaptureSession | None, data: dict[str, Any]) -> list[tuple[float, str, bytes, int]] | None:
        if session is None:
            return None
        try:
            return session.stop()
        except (Unavailable, OSError) as exc:
            data["capture"] = {"ok": False, "error": str(exc)[:300]}
            return None

    def _result(self, data: dict[str, Any]) -> ProbeResult:
        where = data["trace"]
        hops = ", ".join(f"{h['ttl']}: {h['address']}" for h in where["hops"]) or _("none answered")
        evidence = [Evidence(_("Hops (TTL: address)"), hops),
                    Evidence(_("Server distance"), where["server_hops"] if where["server_hops"] else _("unknown"),
                             _("hops")),
                    Evidence(_("What this OS shows without privileges"), _(data["os_support"]))]
        event, icp = where.get("event"), where.get("intercept")
        if event:
            evidence.append(Evidence(_("First answer to our data"),
                                     _("{ending} at TTL {ttl}", ending=event["ending"], ttl=event["ttl"])))
        cap = data.get("capture") or {}
        if cap and not cap.get("ok"):
            evidence.append(Evidence(_("Packet capture"), _("not done: {reason}", reason=cap.get("error", ""))))
        for r in cap.get("resets", [])[:5]:
            # TRANSLATORS: {who} is laptop, middlebox or server (left in English); TTL, IP ID: packet fields
            evidence.append(Evidence(_("Captured reset"), _(
                "{who}: TTL {ttl}, IP ID {ip_id}, window {window} (server TTL {server_ttl}, IP ID {server_ip_id}, "
                "window {server_window})", who=r["who"], ttl=r["ttl"], ip_id=r["ip_id"], window=r["window"],
                server_ttl=r["server_ttl"], server_ip_id=r["server_ip_id"], server_window=r["server_window"])))
        if icp:
            # TRANSLATORS: {what} says what the box does, e.g. "answers TCP connections in place of the server"
            return ProbeResult(self.name, Status.WARN, _("A box at hop {hop} {what}", hop=icp["hop"],
                                                         what=_(icp["what"])), data, evidence)
        if event and event["who"] in (LAPTOP, MIDDLEBOX):
            # TRANSLATORS: {ending} is a protocol word (reset, closed...), left in English
            if event["who"] == LAPTOP:
                summary = _("Our data was {ending} by this computer, before the server", ending=event["ending"])
            else:
                summary = _("Our data was {ending} by hop {hop}, before the server", ending=event["ending"],
                            hop=event["hop"])
            return ProbeResult(self.name, Status.WARN, summary, data, evidence)
        if event is None:
            return ProbeResult(self.name, Status.OK, _("No answer to trace (the trace saw only silence)"), data,
                               evidence)
        return ProbeResult(self.name, Status.OK, _("The server's end answered ({ending}) at {hops} hops",
                                                   ending=event["ending"], hops=where["server_hops"]), data, evidence)
