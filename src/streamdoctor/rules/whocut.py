"""Rules over the path trace and the capture: who reset or intercepted our connections, and where that box is.

"Your network resets connections" does not tell IT which device to look at. These findings name the device by
its position and address ("the device at 10.1.2.3, two hops from the laptop") and carry the numbers it was
placed by: the TTL at which the reset came in the trace, and, when the user allowed a capture, the reset's IP
TTL, IP ID and TCP window next to the server's own packets.
"""

from __future__ import annotations

from typing import Any

from ..diagnosis import Results, rule
from ..model import Confidence, Evidence, Finding, Severity, Status

_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def hops_words(n: int) -> str:
    word = _WORDS[n] if 0 <= n < len(_WORDS) else str(n)
    return f"{word} hop{'' if n == 1 else 's'}"


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


def _what_was_sent(d: dict[str, Any]) -> str:
    return {"proxy-connect": "its CONNECT request to the proxy", "tls-hello": "its TLS hello"}.get(
        str(d.get("payload")), "its first request")


def _evidence(d: dict[str, Any], resets: list[dict[str, Any]]) -> list[Evidence]:
    where = d["trace"]
    ev = [Evidence("Hops toward the API (TTL: address)",
                   ", ".join(f"{h['ttl']}: {h['address']}" for h in where["hops"]) or "none answered"),
          Evidence("The API's end is", where["server_hops"], "hops away")]
    event = where.get("event")
    if event:
        ev.append(Evidence("Trace: first answer to our data", f"{event['ending']} at TTL {event['ttl']}"))
    if resets:
        r = resets[0]
        ev.append(Evidence("Captured reset", f"IP TTL {r['ttl']} ({r['hops']} hops), IP ID {r['ip_id']}, TCP window "
                           f"{r['window']}, on {r['iface']}"))
        ev.append(Evidence("The server's packets", f"IP TTL {r['server_ttl']}, IP ID {r['server_ip_id']}, TCP "
                           f"window {r['server_window']}"))
        ev.append(Evidence("Resets captured", len(resets)))
    return ev


def _device(hop: int, address: str) -> str:
    at = f" at {address}" if address else ""
    return f"the device{at}, {hops_words(hop)} from the laptop"


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
    if icp:
        hop = icp["hop"]
        device = _device(hop, icp.get("address", ""))
        agree = (d.get("capture") or {}).get("intercept") is not None
        return Finding(
            "path.whocut", "intercepted", Severity.WARNING, Confidence.HIGH if agree else Confidence.MEDIUM,
            f"A device {hops_words(hop)} away answers in place of the API",
            f"Connections to the API are answered by {device}, not by the API, which is "
            f"{hops_words(where['server_hops'])} away: a transparent proxy or security box takes over the "
            "connection there. Its own time limits, not the API's, decide when a silent answer is cut.",
            _evidence(d, resets),
            ask_it=(f"Our TCP connections to api.anthropic.com:443 are terminated by {device} (it answers a "
                    f"connection attempt limited to {hops_words(hop)}, while the API is "
                    f"{hops_words(where['server_hops'])} away). Please exempt api.anthropic.com from that "
                    "device's interception, or raise its idle timeout for it to at least 600 s."),
        )
    if cap_who == "laptop" or (not cap_who and event and event["who"] == "laptop" and event["ending"] == "reset"):
        agree = bool(event and event["who"] == "laptop") and cap_who == "laptop"
        why = ("the reset never crossed a network interface (it was seen only on loopback, or not at all)"
               if cap_who == "laptop" else "the reset came back before our packet could reach the first router")
        return Finding(
            "path.whocut", "reset-by-laptop", Severity.PROBLEM, Confidence.HIGH if agree else Confidence.MEDIUM,
            "This computer resets the connections to the API",
            f"When Stream Doctor sent {sent}, the connection was reset by this computer itself, not by the "
            f"network or the API: {why}. A security agent, VPN client or local firewall on this laptop does it.",
            _evidence(d, resets),
            ask_it=("Connections from this laptop to api.anthropic.com:443 are reset on the laptop itself (the reset "
                    "never appears on the network). Please check the endpoint security agent, VPN client or local "
                    "firewall policy on this laptop for api.anthropic.com."),
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
        numbers = ""
        if resets:
            r = resets[0]
            numbers = (f" The reset arrived with IP TTL {r['ttl']} ({hops_words(box_hop)} travelled), the API's "
                       f"packets with TTL {r['server_ttl']} ({hops_words(where['server_hops'] or 0)}).")
        return Finding(
            "path.whocut", "reset-by-middlebox", Severity.PROBLEM, Confidence.HIGH if agree else Confidence.MEDIUM,
            f"A device {hops_words(box_hop)} away resets the connections to the API",
            f"When Stream Doctor sent {sent}, the reset came from {device}, not from the API "
            f"({hops_words(where['server_hops'] or 0)} away).{numbers}",
            _evidence(d, resets),
            ask_it=(f"{device[0].upper() + device[1:]} sends TCP resets in place of api.anthropic.com:443 "
                    f"when the laptop sends {sent}.{numbers} Please check that device's firewall, DPI or "
                    "TLS-inspection policy for api.anthropic.com and let the connections through."),
        )
    if cap_who == "server" or (event and event["who"] in ("server", "server-or-box-before-it")
                               and event["ending"] == "reset"):
        sure = cap_who == "server"
        return Finding(
            "path.whocut", "reset-by-server", Severity.WARNING, Confidence.HIGH if sure else Confidence.LOW,
            "The reset comes from the API's end",
            f"When Stream Doctor sent {sent}, the connection was reset at the API's end, "
            f"{hops_words(where['server_hops'] or 0)} away"
            + (": the reset has the same IP TTL as the API's own packets." if sure else
               ". Without a packet capture it cannot be told from a box right in front of the API; run the "
               "check again with --capture (administrator) to tell them apart."),
            _evidence(d, resets),
            ask_it=("Connections to api.anthropic.com:443 are reset at the far end of the path (the reset "
                    f"travelled as many hops as the API's own packets, {where['server_hops']}). If a gateway of "
                    "ours sits in front of it, please check its logs for these resets."),
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
    silent = f"silent for {float(cut):.0f} s"
    numbers = ""
    if resets:
        r = resets[0]
        numbers = (f" The reset arrived with IP TTL {r['ttl']} ({hops_words(r['hops'])}), the API's packets with "
                   f"TTL {r['server_ttl']}.")
    if who == "laptop":
        device = "this laptop itself (a security agent, VPN client or local firewall)"
        ask = (f"This laptop itself resets TCP connections to api.anthropic.com:443 that were {silent}."
               f"{numbers} Please check the endpoint security agent, VPN client or firewall on the laptop.")
    elif who == "middlebox":
        device = _device(hop, addresses.get(hop, ""))
        ask = (f"{device[0].upper() + device[1:]} resets TCP connections to api.anthropic.com:443 that were "
               f"{silent} (its idle timeout).{numbers} Please raise that device's idle timeout for "
               "api.anthropic.com to at least 600 s.")
    else:
        device = (f"the API's end, {hops_words(placed['server_hops'] or 0)} away"
                  + ("" if cap_who == "server" else ", or the last device right in front of it"))
        ask = (f"Connections to api.anthropic.com:443 {silent} are reset at the far end of the path "
               f"({hops_words(placed['server_hops'] or 0)} away).{numbers} If a gateway of ours sits there, "
               "please raise its idle timeout for api.anthropic.com to at least 600 s.")
    steps = ", ".join(f"TTL {s['ttl']}: {s['outcome']}" for s in d["idle_trace"]["steps"])
    return Finding(
        "path.whocut-idle", "idle-reset-placed", Severity.WARNING,
        Confidence.HIGH if cap_who else (Confidence.MEDIUM if confident else Confidence.LOW),
        "Where silent connections are cut",
        f"The reset that ends connections {silent} comes from {device}.{numbers}",
        [Evidence("Held silent, then sent with rising TTL", steps),
         Evidence("Hold", d["idle_trace"]["hold_s"], "s"),
         Evidence("Hops toward the API (TTL: address)",
                  ", ".join(f"{h['ttl']}: {h['address']}" for h in placed["hops"]) or "none answered")],
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
    numbers = (f" {len(mine)} reset(s) on {tests.get('connections', '?')} test connection(s); the first arrived "
               f"with IP TTL {r['ttl']}, IP ID {r['ip_id']}, window {r['window']}; the API's packets with TTL "
               f"{r['server_ttl']}, IP ID {r['server_ip_id']}, window {r['server_window']}.")
    if who == "laptop":
        device, ask = "this laptop itself", ("Connections from this laptop to api.anthropic.com:443 are reset on "
                                             "the laptop itself." + numbers + " Please check the endpoint security "
                                             "agent, VPN client or local firewall on the laptop.")
    elif who == "middlebox":
        device = _device(int(r["hops"]), addresses.get(int(r["hops"]), ""))
        ask = (f"{device[0].upper() + device[1:]} resets our TCP connections to api.anthropic.com:443 while "
               f"answers stream or wait.{numbers} Please check that device's firewall, DPI or idle-timeout policy "
               "for api.anthropic.com.")
    else:
        return None  # resets from the API's end: the stream and idle findings already say what happened
    return Finding(
        "path.whocut-tests", "test-resets-placed", Severity.WARNING, Confidence.HIGH,
        "Who reset the test connections",
        f"The resets that ended Stream Doctor's streaming and silent-connection tests came from {device}, not "
        f"from the API ({hops_words(server_hops)} away).{numbers}",
        [Evidence("Resets captured on the test connections", len(mine)),
         Evidence("Hops toward the API (TTL: address)",
                  ", ".join(f"{h['ttl']}: {h['address']}" for h in d["trace"]["hops"]) or "none answered")],
        ask_it=ask,
    )
