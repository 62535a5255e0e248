"""Rules over the path trace and the capture: who reset or intercepted our connections, and where that box is.

"Your network resets connections" does not tell IT which device to look at. These findings name the device by
its position and address ("the device at 10.1.2.3, two hops from the laptop") and carry the numbers it was
placed by: the TTL at which the reset came in the trace, and, when the user allowed a capture, the reset's IP
TTL, IP ID and TCP window next to the server's own packets.
"""

from __future__ import annotations

from typing import Any

from ..diagnosis import DEFAULT_API_HOST, DEFAULT_API_PORT, Results, rule
from ..i18n import Msg, _, ngettext
from ..i18n.joining import joined, listed
from ..model import Confidence, Evidence, Finding, Severity, Status


def hops_words(n: int) -> Msg:
    """'1 hop', '3 hops': a distance on the path, in the language's plural."""
    # TRANSLATORS: a distance on the network path, used inside other sentences ("the API is {server} away")
    return ngettext("{n} hop", "{n} hops", n)


def _data(results: Results) -> dict[str, Any] | None:
    r = results.get("path.whocut")
    if r is None or r.status in (Status.SKIPPED, Status.CANCELLED, Status.ERROR) or not r.data.get("trace"):
        return None
    return r.data


def _captured(d: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The capture's verdict on the resets: the most common sender, and the resets it covers."""
    cap = d.get("capture") or {}
    if not cap.get("ok"):
        return "", []
    if cap.get("resets_not_on_wire"):
        return "laptop", []
    resets = cap.get("resets") or []
    if not resets:
        return "", []
    whos = [r["who"] for r in resets]
    who = max(set(whos), key=whos.count)
    return who, [r for r in resets if r["who"] == who]


def _what_was_sent(d: dict[str, Any]) -> Msg:
    payload = str(d.get("payload"))
    # TRANSLATORS: what the test sent, used inside "When Stream Doctor sent {sent}, ..." and "when the laptop sends
    # {sent}"; "its" is the test's
    if payload == "proxy-connect":
        return _("its CONNECT request to the proxy")
    if payload == "tls-hello":
        return _("its TLS hello")
    return _("its first request")


def _hops_list(hops: list[dict[str, Any]]) -> Msg | str:
    # TRANSLATORS: one hop of a route: the TTL and the address that answered, e.g. "2: 10.0.0.1"
    return listed(*(_("{ttl}: {address}", ttl=h["ttl"], address=str(h["address"])) for h in hops)) \
        or _("none answered")


def _evidence(d: dict[str, Any], resets: list[dict[str, Any]]) -> list[Evidence]:
    where = d["trace"]
    ev = [Evidence(_("Hops toward the API (TTL: address)"), _hops_list(where["hops"])),
          Evidence(_("The API's end is"), where["server_hops"], _("hops away"))]
    event = where.get("event")
    if event:
        ev.append(Evidence(_("Trace: first answer to our data"),
                           _("{ending} at TTL {ttl}", ending=str(event["ending"]), ttl=event["ttl"])))
    if resets:
        r = resets[0]
        ev.append(Evidence(_("Captured reset"),
                           ngettext("IP TTL {ttl} ({n} hop), IP ID {ip_id}, TCP window {window}, on {iface}",
                                    "IP TTL {ttl} ({n} hops), IP ID {ip_id}, TCP window {window}, on {iface}",
                                    int(r["hops"]), ttl=r["ttl"], ip_id=r["ip_id"], window=r["window"],
                                    iface=str(r["iface"]))))
        ev.append(Evidence(_("The server's packets"),
                           _("IP TTL {ttl}, IP ID {ip_id}, TCP window {window}", ttl=r["server_ttl"],
                             ip_id=r["server_ip_id"], window=r["server_window"])))
        ev.append(Evidence(_("Resets captured"), len(resets)))
    return ev


def _device(hop: int, address: str) -> Msg:
    """The device as a noun phrase inside a sentence ("the device at 10.0.0.1, 2 hops from the laptop")."""
    if address:
        # TRANSLATORS: a noun phrase used inside other sentences
        return ngettext("the device at {address}, {n} hop from the laptop",
                        "the device at {address}, {n} hops from the laptop", hop, address=address)
    return ngettext("the device {n} hop from the laptop", "the device {n} hops from the laptop", hop)


def _device_starts(hop: int, address: str) -> Msg:
    """The same device at the start of a sentence."""
    if address:
        # TRANSLATORS: a noun phrase at the start of a sentence
        return ngettext("The device at {address}, {n} hop from the laptop,",
                        "The device at {address}, {n} hops from the laptop,", hop, address=address)
    return ngettext("The device {n} hop from the laptop", "The device {n} hops from the laptop", hop)


def _reset_numbers(r: dict[str, Any], hops: int, server_hops: int) -> Msg:
    return _("The reset arrived with IP TTL {ttl} ({hops} travelled), the API's packets with TTL {server_ttl} "
             "({server_hops}).", ttl=r["ttl"], hops=hops_words(hops), server_ttl=r["server_ttl"],
             server_hops=hops_words(server_hops))


@rule("path.whocut")
def who_cut(results: Results) -> Finding | None:
    d = _data(results)
    if d is None:
        return None
    where = d["trace"]
    event, icp = where.get("event"), where.get("intercept")
    cap_who, resets = _captured(d)
    sent = _what_was_sent(d)
    addresses = {h["ttl"]: h["address"] for h in where["hops"]}
    server_hops = int(where["server_hops"] or 0)
    if icp:
        hop = icp["hop"]
        device = _device(hop, icp.get("address", ""))
        agree = (d.get("capture") or {}).get("intercept") is not None
        return Finding(
            "path.whocut", "intercepted", Severity.WARNING, Confidence.HIGH if agree else Confidence.MEDIUM,
            ngettext("A device {n} hop away answers in place of the API",
                     "A device {n} hops away answers in place of the API", hop),
            _("Connections to the API are answered by {device}, not by the API, which is {server} away: a "
              "transparent proxy or security box takes over the connection there. Its own time limits, not the "
              "API's, decide when a silent answer is cut.", device=device, server=hops_words(server_hops)),
            _evidence(d, resets),
            ask_it=_("Our TCP connections to {api_port} are terminated by {device} (it answers a "
                     "connection attempt limited to {hops}, while the API is {server} away). Please exempt "
                     "{api} from that device's interception, or raise its idle timeout for it to at "
                     "least 600 s.",
                     device=device, hops=hops_words(hop), server=hops_words(server_hops), api=DEFAULT_API_HOST,
                     api_port=DEFAULT_API_PORT),
        )
    if cap_who == "laptop" or (not cap_who and event and event["who"] == "laptop" and event["ending"] == "reset"):
        agree = bool(event and event["who"] == "laptop") and cap_who == "laptop"
        if cap_who == "laptop":
            plain = _("When Stream Doctor sent {sent}, the connection was reset by this computer itself, not by the "
                      "network or the API: the reset never crossed a network interface (it was seen only on "
                      "loopback, or not at all). A security agent, VPN client or local firewall on this laptop does "
                      "it.", sent=sent)
        else:
            plain = _("When Stream Doctor sent {sent}, the connection was reset by this computer itself, not by the "
                      "network or the API: the reset came back before our packet could reach the first router. A "
                      "security agent, VPN client or local firewall on this laptop does it.", sent=sent)
        return Finding(
            "path.whocut", "reset-by-laptop", Severity.PROBLEM, Confidence.HIGH if agree else Confidence.MEDIUM,
            _("This computer resets the connections to the API"), plain,
            _evidence(d, resets),
            ask_it=_("Connections from this laptop to {api_port} are reset on the laptop itself (the "
                     "reset never appears on the network). Please check the endpoint security agent, VPN client or "
                     "local firewall policy on this laptop for {api}.",
                     api=DEFAULT_API_HOST, api_port=DEFAULT_API_PORT),
        )
    box_hop = None
    if cap_who == "middlebox" and resets:
        box_hop = int(resets[0]["hops"])
    elif not cap_who and event and event["who"] == "middlebox" and event["ending"] == "reset":
        box_hop = int(event["hop"])
    if box_hop is not None:
        agree = bool(event and event["who"] == "middlebox" and event["hop"] == box_hop) and bool(resets)
        address = addresses.get(box_hop, "")
        device = _device(box_hop, address)
        numbers = _reset_numbers(resets[0], box_hop, server_hops) if resets else None
        first = _("When Stream Doctor sent {sent}, the reset came from {device}, not from the API ({server} away).",
                  sent=sent, device=device, server=hops_words(server_hops))
        ask = _("{device} sends TCP resets in place of {api_port} when the laptop sends {sent}.",
                device=_device_starts(box_hop, address), sent=sent, api_port=DEFAULT_API_PORT)
        please = _("Please check that device's firewall, DPI or TLS-inspection policy for {api} and let "
                   "the connections through.", api=DEFAULT_API_HOST)
        return Finding(
            "path.whocut", "reset-by-middlebox", Severity.PROBLEM, Confidence.HIGH if agree else Confidence.MEDIUM,
            ngettext("A device {n} hop away resets the connections to the API",
                     "A device {n} hops away resets the connections to the API", box_hop),
            joined(first, numbers),
            _evidence(d, resets),
            ask_it=joined(ask, numbers, please),
        )
    if cap_who == "server" or (event and event["who"] in ("server", "server-or-box-before-it")
                               and event["ending"] == "reset"):
        sure = cap_who == "server"
        if sure:
            plain = _("When Stream Doctor sent {sent}, the connection was reset at the API's end, {server} away: the "
                      "reset has the same IP TTL as the API's own packets.", sent=sent,
                      server=hops_words(server_hops))
        else:
            plain = _("When Stream Doctor sent {sent}, the connection was reset at the API's end, {server} away. "
                      "Without a packet capture it cannot be told from a box right in front of the API; run the "
                      "check again with --capture (administrator) to tell them apart.", sent=sent,
                      server=hops_words(server_hops))
        return Finding(
            "path.whocut", "reset-by-server", Severity.WARNING, Confidence.HIGH if sure else Confidence.LOW,
            _("The reset comes from the API's end"), plain,
            _evidence(d, resets),
            ask_it=_("Connections to {api_port} are reset at the far end of the path (the reset travelled "
                     "as many hops as the API's own packets, {server_hops}). If a gateway of ours sits in front of "
                     "it, please check its logs for these resets.", server_hops=where["server_hops"],
                     api_port=DEFAULT_API_PORT),
        )
    return None


@rule("path.whocut-idle")
def who_cut_idle(results: Results) -> Finding | None:
    """Where the idle test's reset cut happens: connections held silent past the cut, then sent with rising TTL."""
    d = _data(results)
    idle = results.get("idle")
    if d is None or idle is None or not d.get("idle_trace"):
        return None
    placed = d["idle_trace"]["placed"]
    event = placed.get("event")
    cut = idle.data.get("cut_s")
    if not event or event["ending"] != "reset" or not isinstance(cut, int | float):
        return None
    cap = d.get("capture_idle") or {}
    whos = [r["who"] for r in cap.get("resets") or []]
    cap_who = max(set(whos), key=whos.count) if whos else ""
    resets = [r for r in cap.get("resets") or [] if r["who"] == cap_who]
    who, hop = event["who"], int(event["hop"])
    if cap_who in ("middlebox", "laptop", "server"):
        who = cap_who
        hop = 0 if cap_who == "laptop" else int(resets[0]["hops"])
    confident = bool(cap_who) or who in ("middlebox", "laptop")
    addresses = {h["ttl"]: h["address"] for h in placed["hops"]}
    silent = float(cut)
    server_hops = int(placed["server_hops"] or 0)
    numbers = None
    if resets:
        r = resets[0]
        numbers = _("The reset arrived with IP TTL {ttl} ({hops}), the API's packets with TTL {server_ttl}.",
                    ttl=r["ttl"], hops=hops_words(int(r["hops"])), server_ttl=r["server_ttl"])
    if who == "laptop":
        first = _("The reset that ends connections silent for {silent:.0f} s comes from this laptop itself (a "
                  "security agent, VPN client or local firewall).", silent=silent)
        ask = joined(_("This laptop itself resets TCP connections to {api_port} that were silent for "
                       "{silent:.0f} s.", silent=silent, api_port=DEFAULT_API_PORT), numbers,
                     _("Please check the endpoint security agent, VPN client or firewall on the laptop."))
    elif who == "middlebox":
        address = addresses.get(hop, "")
        first = _("The reset that ends connections silent for {silent:.0f} s comes from {device}.", silent=silent,
                  device=_device(hop, address))
        ask = joined(_("{device} resets TCP connections to {api_port} that were silent for {silent:.0f} s "
                       "(its idle timeout).",
                       device=_device_starts(hop, address), silent=silent, api_port=DEFAULT_API_PORT), numbers,
                     _("Please raise that device's idle timeout for {api} to at least 600 s.", api=DEFAULT_API_HOST))
    else:
        if cap_who == "server":
            first = _("The reset that ends connections silent for {silent:.0f} s comes from the API's end, {server} "
                      "away.", silent=silent, server=hops_words(server_hops))
        else:
            first = _("The reset that ends connections silent for {silent:.0f} s comes from the API's end, {server} "
                      "away, or the last device right in front of it.", silent=silent,
                      server=hops_words(server_hops))
        ask = joined(_("Connections to {api_port} silent for {silent:.0f} s are reset at the far end of "
                       "the path ({server} away).",
                       silent=silent, server=hops_words(server_hops), api_port=DEFAULT_API_PORT), numbers,
                     _("If a gateway of ours sits there, please raise its idle timeout for {api} to at "
                       "least 600 s.", api=DEFAULT_API_HOST))
    # TRANSLATORS: one step of a trace: the TTL sent and the probe's own word for what came back (reset, answered)
    steps = listed(*(_("TTL {ttl}: {outcome}", ttl=s["ttl"], outcome=str(s["outcome"]))
                     for s in d["idle_trace"]["steps"]))
    return Finding(
        "path.whocut-idle", "idle-reset-placed", Severity.WARNING,
        Confidence.HIGH if cap_who else (Confidence.MEDIUM if confident else Confidence.LOW),
        _("Where silent connections are cut"),
        joined(first, numbers),
        [Evidence(_("Held silent, then sent with rising TTL"), steps),
         Evidence(_("Hold"), d["idle_trace"]["hold_s"], "s"),
         Evidence(_("Hops toward the API (TTL: address)"), _hops_list(placed["hops"]))],
        ask_it=ask, failure_mode=1,
    )


@rule("path.whocut-tests")
def who_cut_tests(results: Results) -> Finding | None:
    """Resets of the stream and idle tests' own connections, placed by the capture of the whole check."""
    d = _data(results)
    tests = (d or {}).get("capture_tests") or {}
    resets = tests.get("resets") or []
    if d is None or not resets:
        return None
    whos = [r["who"] for r in resets]
    who = max(set(whos), key=whos.count)
    mine = [r for r in resets if r["who"] == who]
    r = mine[0]
    addresses = {h["ttl"]: h["address"] for h in d["trace"]["hops"]}
    server_hops = d["trace"]["server_hops"] or 0
    numbers = _("{resets} on {connections}; the first arrived with IP TTL {ttl}, IP ID {ip_id}, window {window}; the "
                "API's packets with TTL {server_ttl}, IP ID {server_ip_id}, window {server_window}.",
                resets=ngettext("{n} reset", "{n} resets", len(mine)),
                connections=ngettext("{n} test connection", "{n} test connections", int(tests.get("connections") or 0))
                if isinstance(tests.get("connections"), int) else _("? test connections"),
                ttl=r["ttl"], ip_id=r["ip_id"], window=r["window"], server_ttl=r["server_ttl"],
                server_ip_id=r["server_ip_id"], server_window=r["server_window"])
    if who == "laptop":
        plain = _("The resets that ended Stream Doctor's streaming and silent-connection tests came from this laptop "
                  "itself, not from the API ({server} away).", server=hops_words(server_hops))
        ask = joined(_("Connections from this laptop to {api_port} are reset on the laptop itself.",
                       api_port=DEFAULT_API_PORT),
                     numbers, _("Please check the endpoint security agent, VPN client or local firewall on the "
                                "laptop."))
    elif who == "middlebox":
        hop, address = int(r["hops"]), addresses.get(int(r["hops"]), "")
        plain = _("The resets that ended Stream Doctor's streaming and silent-connection tests came from {device}, "
                  "not from the API ({server} away).", device=_device(hop, address), server=hops_words(server_hops))
        ask = joined(_("{device} resets our TCP connections to {api_port} while answers stream or wait.",
                       device=_device_starts(hop, address), api_port=DEFAULT_API_PORT), numbers,
                     _("Please check that device's firewall, DPI or idle-timeout policy for {api}.",
                       api=DEFAULT_API_HOST))
    else:
        return None  # resets from the API's end: the stream and idle findings already say what happened
    return Finding(
        "path.whocut-tests", "test-resets-placed", Severity.WARNING, Confidence.HIGH,
        _("Who reset the test connections"),
        joined(plain, numbers),
        [Evidence(_("Resets captured on the test connections"), len(mine)),
         Evidence(_("Hops toward the API (TTL: address)"), _hops_list(d["trace"]["hops"]))],
        ask_it=ask,
    )
