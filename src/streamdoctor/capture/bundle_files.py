"""The capture's files in the bundle for IT: the pcapng of our own test connections and a note on what is in it.

The probe keeps the pcapng (base64) in its result, so a bundle made later from a saved report still has it;
in the bundle it is moved out of report.json into its own file (taken from the redacted report dict), so the
bytes are there once. With --pseudonymize-hosts the pcapng is left out: its headers carry real IP addresses,
and rewriting them inside the capture would make the evidence untrustworthy; the note says so.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..i18n import _

PCAPNG_NAME = "capture/streamdoctor-flows.pcapng"
NOTE_NAME = "capture/README.txt"


def capture_files(report_dict: dict[str, Any], pseudonymize_hosts: bool) -> dict[str, bytes]:
    """The files to add to the zip; removes the base64 pcapng from `report_dict` (report.json) either way."""
    result = next((r for r in report_dict.get("results", []) if r.get("probe") == "path.whocut"), None)
    cap = ((result or {}).get("data") or {}).get("capture") or {}
    blob = cap.pop("pcapng_b64", None) if isinstance(cap, dict) else None
    if not cap.get("ok") or not isinstance(blob, str):
        return {}
    # The note is written in the bundle's language (the user's, or English when the bundle is made for IT).
    name = PCAPNG_NAME.rsplit("/", 1)[-1]
    tshark = f"tshark -r {name}"
    note = [str(cap.get("redaction_note", "")), "",
            _("Open {file} in Wireshark, or: {command}", file=name, command=tshark),
            _("Interfaces are named: packets on '{loopback}' never left this computer.", loopback="lo"), ""]
    if pseudonymize_hosts:
        note.append(_("The capture itself was left out of this bundle: host pseudonyms were asked for, and its "
                      "packet headers hold real IP addresses."))
        return {NOTE_NAME: "\n".join(note).encode("utf-8")}
    try:
        data = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return {}
    note.append(_("IP addresses in the capture are real (not pseudonymized): IT needs them to find the device."))
    return {PCAPNG_NAME: data, NOTE_NAME: "\n".join(note).encode("utf-8")}
