"""The mtu fix: set the interface that carries API traffic to the measured path MTU (failure mode 4).

The interface is the one the route to the API leaves by (probe env.interfaces, route.interface); the value is
the path MTU the mtu probe measured. Only when a black hole was seen but no number could be measured does it
fall back to 1400 (what most VPNs need), and the preview says so. The change runs through the privileged helper
(privhelper.py) with the OS's own password prompt; undo puts the recorded value back the same way.
"""

from __future__ import annotations

import sys
from typing import Any

from ..i18n import N_, _
from ..model import FixPlan, Report
from . import journal, privhelper
from .base import Fix, Shown, VerifyOutcome, probe_data
from .elevate import is_admin, run_helper

FALLBACK_MTU = 1400


def mtu_target(report: Report) -> tuple[str | None, int | None, str]:
    """(interface, MTU to set, why) from the report; (None, None, why) when there is nothing to do."""
    mtu = probe_data(report, "mtu")
    route = probe_data(report, "env.interfaces").get("route") or {}
    iface = route.get("interface") or mtu.get("interface")
    path_mtu, iface_mtu = mtu.get("path_mtu"), mtu.get("interface_mtu") or route.get("mtu")
    if not iface:
        return None, None, _("the check did not find which interface carries the API traffic")
    if mtu.get("black_hole") is False:
        return None, None, _("large packets get through (path MTU discovery works)")
    if isinstance(path_mtu, int) and isinstance(iface_mtu, int) and path_mtu < iface_mtu:
        return iface, max(privhelper.MTU_MIN, path_mtu), _(
            "the measured path MTU is {path_mtu:d} (interface: {iface_mtu:d})", path_mtu=path_mtu,
            iface_mtu=iface_mtu)
    if mtu.get("black_hole") is True:
        if isinstance(path_mtu, int) and path_mtu >= privhelper.MTU_MIN:
            return iface, path_mtu, _("large packets vanish on the way; the measured path MTU is {path_mtu:d}",
                                      path_mtu=path_mtu)
        return iface, FALLBACK_MTU, _("large packets vanish on the way but no path MTU could be measured; "
                                      "{fallback:d} is what most VPNs need", fallback=FALLBACK_MTU)
    return None, None, _("no MTU problem was measured")


class MtuFix(Fix):
    id = "mtu"
    title = Shown(N_("Make large packets fit the path to the API (interface MTU)"))
    needs_admin = True
    probes = ("env.interfaces", "env.proxy", "mtu")

    def applies(self, report: Report) -> bool:
        return mtu_target(report)[1] is not None

    def preview(self, report: Report) -> FixPlan:
        self.require(report)
        iface, target, why = mtu_target(report)
        assert iface is not None and target is not None
        plan = privhelper.plan_mtu(iface)
        current = privhelper.current_mtu(iface)
        cmds = "\n".join(" ".join(c) for c in privhelper.commands(plan, target))
        now = "?" if current is None else str(current)
        if plan.method == "nmcli":
            text = _("Sets the MTU of {iface} from {now} to {target:d} because {why}. Changed in the NetworkManager "
                     "connection '{connection}' ({key}, now {value}; survives a reboot). Undo sets it back to {now}.",
                     iface=iface, now=now, target=target, why=why, connection=plan.connection, key=plan.nm_key,
                     value=plan.nm_value)
        else:
            text = _("Sets the MTU of {iface} from {now} to {target:d} because {why}. Changed on the interface "
                     "({method}). Undo sets it back to {now}.", iface=iface, now=now, target=target, why=why,
                     method=plan.method)
        if not is_admin():
            text = _("{description} You will be asked for an administrator password ({prompt}).",
                     description=text, prompt=_prompt_name())
        return self.plan(text, _("runs as administrator:\n{commands}", commands=cmds))

    def apply(self, report: Report) -> str:
        self.require(report)
        iface, target, why = mtu_target(report)
        assert iface is not None and target is not None
        privhelper.valid_interface(iface)  # refuse early, with the same rule the helper applies
        plan = privhelper.plan_mtu(iface)
        previous = privhelper.current_mtu(iface)
        if previous is None:
            raise journal.FixError(_("the interface {iface} is gone; run the check again", iface=iface))
        step: dict[str, Any] = {"kind": "mtu", "interface": iface, "previous_mtu": previous, "mtu": target,
                                "method": plan.method, "connection": plan.connection, "nm_value": plan.nm_value}
        with journal.Transaction(self.id, self.journal_title(), {"interface": iface, "mtu": target,
                                                                 "why": str(why)}) as tx:
            tx.action(step, lambda: _helper_set(iface, target))
            tx.note(f"MTU of {iface}: {previous} -> {target} via {plan.method}")
        return tx.record.id

    def verify(self, report: Report, record_id: str) -> VerifyOutcome:
        from .rerun import rerun

        record = journal.load(record_id)
        iface, target = record.info["interface"], int(record.info["mtu"])
        now = privhelper.current_mtu(iface)
        if now != target:
            return VerifyOutcome(False, _("{iface} has MTU {now}, not {target:d}: something (a VPN client, "
                                          "NetworkManager) set it back", iface=iface, now="?" if now is None
                                          else str(now), target=target))
        fresh = rerun(report, ["mtu"]).get("mtu")
        if fresh is None or not fresh.data:
            return VerifyOutcome(True, _("{iface} now has MTU {target:d} (the path MTU test is not in this build)",
                                         iface=iface, target=target))
        if fresh.data.get("black_hole") is True:
            return VerifyOutcome(False, _("{iface} has MTU {target:d}, but large packets still vanish on the way",
                                          iface=iface, target=target))
        return VerifyOutcome(True, _("{iface} now has MTU {target:d}; the path MTU test passes ({path_mtu})",
                                     iface=iface, target=target, path_mtu=str(fresh.data.get("path_mtu"))))


def _prompt_name() -> str:
    return {"win32": "Windows UAC", "darwin": "macOS"}.get(sys.platform, "pkexec")


def _helper_set(iface: str, mtu: int) -> dict[str, Any]:
    answer = run_helper(["set-mtu", iface, str(mtu)])
    return {"done_by": answer.get("method"), "commands": answer.get("commands", [])}


def _undo_mtu(step: dict[str, Any], record: journal.JournalRecord) -> None:
    iface, previous = step["interface"], int(step["previous_mtu"])
    if privhelper.current_mtu(iface) is None:
        record.notes.append(f"{iface} no longer exists; nothing to put back")
        return
    args = ["revert-mtu", iface, str(previous)]
    if step.get("method") == "nmcli" and step.get("nm_value"):
        args += ["--nm-value", str(step["nm_value"])]
    if privhelper.current_mtu(iface) == previous and step.get("method") != "nmcli":
        return  # already as it was (the change never happened)
    run_helper(args)


def _validate_mtu_step(step: dict[str, Any], record: journal.JournalRecord) -> None:
    """An mtu step from the journal: an interface name the helper would accept, MTUs in range, a known method."""
    try:
        name = step.get("interface")
        privhelper.valid_interface(name if isinstance(name, str) else "", {name} if isinstance(name, str) else set())
        privhelper.valid_mtu(str(step.get("previous_mtu")))
        nm_value = str(step.get("nm_value") or "")
        if nm_value not in ("", "auto", "0"):
            privhelper.valid_mtu(nm_value)
    except privhelper.HelperError as exc:
        raise journal.RefusedRecordError(f"record {record.id}: {exc}") from None
    if step.get("method") not in ("nmcli", "ip", "networksetup", "netsh"):
        raise journal.RefusedRecordError(_("record {record}: refused the method {method}", record=record.id,
                                           method=repr(step.get("method"))))


journal.register_undo("mtu", _undo_mtu, _validate_mtu_step)
