"""Which finding explains which: one root cause shows up in several probes, and the user must be sent to the
root. Registered here in one place (diagnosis.explains) so the pairs can be read side by side; diagnosis
stands the explained finding down and lets the cause lead.

- An MTU black hole (measured path MTU below the packet a large TLS hello fills) also kills the large hello:
  the hello's first segment is full-size. The MTU finding leads, the ClientHello rule stands down.
- An MTU black hole also cuts large uploads (full-size segments), so a measured upload limit is its symptom,
  when the MTU was measured or the upload stalled (lost packets) rather than being reset.
- A broken IPv6 path explains a client that fails where others work (it does not fall back); so does an
  upload limit (its request was larger than the others').
- An upload limit (a box resetting after N KB) makes the MTU probe's 256 KB request fail too; when no
  smaller path MTU was measured and the upload was reset, the limit explains the "large requests get lost".
"""

from __future__ import annotations

from typing import Any

from ..diagnosis import Results, explains
from ..i18n import N_
from ..model import Confidence, Finding, Status

IP_TCP_HEADERS = 52  # IPv4 20 + TCP 20 + timestamps 12: what a segment adds to its payload on the wire


def _data(results: Results, name: str) -> dict[str, Any]:
    r = results.get(name)
    return dict(r.data) if r is not None and r.status is not Status.SKIPPED and r.data else {}


def _mtu_below_hello(a: Finding, b: Finding, results: Results) -> bool:
    mtu = _data(results, "mtu")
    hello = _data(results, "clienthello").get("large") or {}
    path_mtu, iface_mtu = mtu.get("path_mtu"), mtu.get("interface_mtu") or 1500
    if not mtu.get("black_hole") or not path_mtu or not hello.get("bytes"):
        return False
    return int(path_mtu) < min(int(hello["bytes"]) + IP_TCP_HEADERS, int(iface_mtu))


def _mtu_explains_upload(a: Finding, b: Finding, results: Results) -> bool:
    up = _data(results, "matrix.upload")
    return a.confidence is Confidence.HIGH or up.get("cut_kind") == "stall"


def _upload_explains_mtu(a: Finding, b: Finding, results: Results) -> bool:
    up = _data(results, "matrix.upload")
    large = (_data(results, "mtu").get("large_request") or {})
    size = int(large.get("large_bytes") or 0)
    return (b.confidence is not Confidence.HIGH and up.get("cut_kind") in ("reset", "closed")
            and size >= int(up.get("passed_max_bytes") or 0))


explains("ipv6-broken", "client-problem", N_("that client does not fall back from the broken IPv6 to IPv4"))
explains("upload-cut", "client-problem", N_("that client's request was larger than the network lets through"))
explains("mtu-black-hole", "large-clienthello",
         N_("the large hello's first packet is bigger than the path carries, so it is lost in the same black hole"),
         _mtu_below_hello)
explains("mtu-black-hole", "upload-cut", N_("large uploads fill full-size packets, which the black hole loses"),
         _mtu_explains_upload)
explains("upload-cut", "mtu-black-hole", N_("the packet-size test's large request was cut by the same upload limit"),
         _upload_explains_mtu)
