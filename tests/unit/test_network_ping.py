"""DF ping as the path-MTU second opinion: parsers on recorded outputs of Linux, macOS and Windows (localised),
the argument lists, and the parallel binary search on a simulated path."""

import threading

import pytest

from streamdoctor.cancel import CancelToken
from streamdoctor.probes.mtu import search_with_ping
from streamdoctor.probes.ping import PingOutcome, parse, ping_argv

# Real outputs (Linux, macOS and Windows replies, "too big" answers in five languages, IPv6) are in
# tests/fixtures/captures/ and tests/unit/test_real_captures.py. These few are still hand-written because no real
# capture of them has been found yet: a silent drop on Linux and macOS, and the French "too big" text (wording
# not confirmed on a real machine: docs/real-captures.md; a real French reply is in the captures).
LINUX_SILENT = """PING 10.231.3.2 (10.231.3.2) 1373(1401) bytes of data.

--- 10.231.3.2 ping statistics ---
1 packets transmitted, 0 received, 100% packet loss, time 0ms
"""
MAC_SILENT = """PING 10.0.0.1 (10.0.0.1): 1472 data bytes

--- 10.0.0.1 ping statistics ---
1 packets transmitted, 0 packets received, 100.0% packet loss
"""
WIN_FR_DF = """
Envoi d’une requête 'Ping'  10.0.0.1 avec 1472 octets de données :
Le paquet doit être fragmenté mais l’indicateur DF est activé.
"""


@pytest.mark.parametrize(("platform", "rc", "text", "reply", "too_big", "mtu"), [
    ("linux", 1, LINUX_SILENT, False, False, None),
    ("darwin", 2, MAC_SILENT, False, False, None),
    ("win32", 1, WIN_FR_DF, False, True, None),
])
def test_parsers_on_hand_written_outputs(platform, rc, text, reply, too_big, mtu):
    out = parse(1400, rc, text, platform)
    assert (out.reply, out.too_big, out.mtu) == (reply, too_big, mtu)
    assert out.error == ""


def test_linux_usage_error_is_an_error_not_a_small_mtu():
    out = parse(1400, 2, "ping: invalid argument: '99999'\n", "linux")
    assert not out.reply and not out.too_big and "invalid argument" in out.error


def test_argv_sets_dont_fragment_and_the_payload_per_os():
    linux = ping_argv("10.0.0.1", 1400, 1.0, platform="linux")
    assert linux[-1] == "10.0.0.1" and ["-M", "do"] == linux[linux.index("-M"):linux.index("-M") + 2]
    assert linux[linux.index("-s") + 1] == "1372"
    mac = ping_argv("10.0.0.1", 1400, 1.0, platform="darwin")
    assert "-D" in mac and mac[mac.index("-s") + 1] == "1372" and mac[mac.index("-W") + 1] == "1000"
    win = ping_argv("10.0.0.1", 1400, 1.0, platform="win32")
    assert "-f" in win and win[win.index("-l") + 1] == "1372" and win[win.index("-w") + 1] == "1000"
    assert ping_argv("fd00::1", 1400, 1.0, ipv6=True, platform="darwin") is None
    assert ping_argv("fd00::1", 1400, 1.0, ipv6=True, platform="linux")[-2:] == ["-6", "fd00::1"]


class FakePath:
    """A path with MTU `mtu`: routers either say so (icmp), say nothing (black hole) or drop all echo."""

    def __init__(self, mtu, mode):
        self.mtu, self.mode, self.calls = mtu, mode, []
        self.lock = threading.Lock()

    def __call__(self, address, size, timeout, ipv6):
        with self.lock:
            self.calls.append(size)
        if self.mode == "blocked":
            return PingOutcome(size)
        if size <= self.mtu:
            return PingOutcome(size, reply=True)
        if self.mode == "icmp":
            return PingOutcome(size, too_big=True, mtu=self.mtu)
        return PingOutcome(size)


@pytest.mark.parametrize("mtu", [1400, 1492, 1337, 1281])
@pytest.mark.parametrize("mode", ["icmp", "blackhole"])
def test_search_finds_the_exact_mtu(mtu, mode):
    path = FakePath(mtu, mode)
    out = search_with_ping("10.0.0.1", False, 1500, CancelToken(), 0.1, 30.0, pinger=path)
    assert out["largest_reply"] == mtu and out["exact"] is True
    assert out["smallest_fail"] == mtu + 1
    assert out["rounds"] <= 5  # bounded: parallel rounds, not one ping per size
    if mode == "icmp":
        assert out["named_mtu"] == mtu and out["rounds"] <= 2


def test_search_with_no_limit_on_the_path():
    out = search_with_ping("10.0.0.1", False, 1500, CancelToken(), 0.1, 30.0, pinger=FakePath(9000, "icmp"))
    assert out["largest_reply"] == 1500 and out["smallest_fail"] is None and out["rounds"] == 1


def test_blocked_echo_is_unknown_never_small():
    out = search_with_ping("10.0.0.1", False, 1500, CancelToken(), 0.1, 30.0, pinger=FakePath(1400, "blocked"))
    assert out["echo_blocked"] is True
    assert "largest_reply" not in out


def test_missing_ping_is_reported_as_unavailable():
    def broken(address, size, timeout, ipv6):
        return PingOutcome(size, error="ping could not run: [Errno 2] No such file or directory: 'ping'")

    out = search_with_ping("10.0.0.1", False, 1500, CancelToken(), 0.1, 30.0, pinger=broken)
    assert out["available"] is False and "No such file" in out["why"]


def test_windows_ipv6_reply_rule_does_not_count_errors_or_statistics_as_replies():
    """IPv6 replies carry no TTL= (real captures: tests/fixtures/captures/ping/win_v6_*); the address-and-time
    rule that reads them must not take an error line from a router or the statistics block for a reply."""
    unreachable = ("\nPinging 2001:db8::1 with 1444 bytes of data:\n"
                   "Reply from fe80::1%12: Destination host unreachable.\n\n"
                   "Ping statistics for 2001:db8::1:\n    Packets: Sent = 1, Received = 1, Lost = 0 (0% loss),\n"
                   "Approximate round trip times in milli-seconds:\n    Minimum = 0ms, Maximum = 0ms, Average = 0ms\n")
    out = parse(1492, 0, unreachable, "win32")
    assert not out.reply and not out.too_big
    assert parse(1492, 0, "Reply from fe80::1%12: time<1ms\n", "win32").reply
