"""Claude Code fixes: merge what the measurements call for into the `env` block of its user settings.json.

Claude Code reads that block for every session, including background agents that shell exports do not reach
(DESIGN.md, Facts). The file is CLAUDE_CONFIG_DIR/settings.json when that variable is set, else
~/.claude/settings.json. Every other key and the file's formatting are kept; a file that is not JSON is refused.

Read, merge and write happen under the fixes lock, so a second apply running at the same time merges on top of
the first instead of overwriting it. Undo is byte-exact when the file is as the fix left it; when something
changed it since (another fix, the user), undo takes back only this fix's keys and keeps the rest.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

from .. import claude_versions as cv
from ..claude_advice import (
    BYTE_IDLE_VAR,
    FIRST_BYTE_VAR,
    ClaudeCodeHere,
    api_timeout_note,
    from_clients,
    setting_effect,
    trust_advice,
)
from ..i18n import N_, _, ngettext
from ..model import FixPlan, Report
from ..safeio import NotRegularFileError, read_regular
from . import journal
from .base import Fix, Shown, VerifyOutcome, finding_causes, probe_data, text_diff
from .filelock import fix_lock
from .pem import combined_pem, pem_is_certificate
from .settings_json import env_of, merge_env, parse_settings, render_like

DEFAULT_API_TIMEOUT_MS = 600_000
CA_FILE_NAME = "streamdoctor-extra-ca.pem"


def settings_path() -> Path:
    base = os.environ.get("CLAUDE_CONFIG_DIR")
    return (Path(base).expanduser() if base else Path.home() / ".claude") / "settings.json"


def _read(path: Path) -> str:
    try:
        return read_regular(path).decode("utf-8")
    except FileNotFoundError:
        return ""
    except NotRegularFileError as exc:
        raise journal.FixError(_("{path} {problem}; Stream Doctor only edits regular files, nothing was changed",
                                 path=str(path), problem=exc.strerror)) from None
    except OSError as exc:
        raise journal.FixError(_("cannot read {path}: {error}; nothing was changed", path=str(path),
                                 error=exc.strerror or str(exc))) from None
    except UnicodeDecodeError:
        raise journal.FixError(_("{path} is not UTF-8 text; fix it by hand or move it away and apply again",
                                 path=str(path))) from None


class ClaudeSettingsFix(Fix):
    """Shared machinery: compute env updates (and extra files), preview the diff, write atomically, check back."""

    def updates(self, report: Report, current_env: dict[str, Any]) -> dict[str, str | None]:
        raise NotImplementedError

    def extra_files(self, report: Report, current_env: dict[str, Any]) -> dict[Path, bytes]:
        return {}

    def _compute(self, report: Report) -> tuple[Path, str, str, dict[Path, bytes]]:
        self.require(report)
        path = settings_path()
        before = _read(path)
        current = env_of(before)
        new = merge_env(before, self.updates(report, current), str(path))
        return path, before, new, self.extra_files(report, current)

    def preview(self, report: Report) -> FixPlan:
        path, before, after, extra = self._compute(report)
        parts = [text_diff(before, after, str(path))]
        for p, data in extra.items():
            parts.append(ngettext("writes {path} ({size:d} bytes, {n} certificate)",
                                  "writes {path} ({size:d} bytes, {n} certificates)",
                                  data.count(b"BEGIN CERTIFICATE"), path=str(p), size=len(data)))
        return self.plan(_("{description} Undo puts {name} back byte for byte.", description=self.describe(report),
                           name=path.name), "\n".join(parts))

    def describe(self, report: Report) -> str:
        return self.title

    def apply(self, report: Report) -> str:
        with fix_lock():  # read, merge and write as one step: a concurrent apply merges on top of this one
            path, before, after, extra = self._compute(report)
            current = env_of(before)
            updates = self.updates(report, current)
            details = {"env_before": {k: current.get(k) for k in updates},
                       "had_env": "env" in parse_settings(before, str(path))}
            with journal.Transaction(self.id, self.journal_title(), {"settings": str(path)}) as tx:
                for p, data in extra.items():
                    tx.write_file(p, data, mode=0o644)
                tx.write_file(path, after.encode("utf-8"), mode=None if path.exists() else 0o600,
                              kind=SETTINGS_STEP, details=details)
                tx.record.info["env"] = updates
        return tx.record.id

    def verify(self, report: Report, record_id: str) -> VerifyOutcome:
        record = journal.load(record_id)
        path = Path(record.info["settings"])
        env = env_of(_read(path))
        wanted = record.info.get("env", {})
        wrong = [k for k, v in wanted.items() if env.get(k) != v]
        if wrong:
            return VerifyOutcome(False, _("{path} does not hold {names} as written; another program may have "
                                          "rewritten it", path=str(path), names=", ".join(wrong)))
        names = ", ".join(sorted(wanted))
        seen = self._seen_by_scan(report, wanted)
        if seen is True:
            return VerifyOutcome(True, _("{path} now sets {names} (the client scan reads them back). Start a new "
                                         "Claude Code session for it to take effect.", path=str(path), names=names))
        if seen is False:
            return VerifyOutcome(True, _("{path} now sets {names} (the client scan does not see them yet). Start a "
                                         "new Claude Code session for it to take effect.", path=str(path),
                                         names=names))
        return VerifyOutcome(True, _("{path} now sets {names}. Start a new Claude Code session for it to take "
                                     "effect.", path=str(path), names=names))

    def _seen_by_scan(self, report: Report, wanted: dict[str, Any]) -> bool | None:
        """Whether the client scan reads the values back (None: the scan is not in this build)."""
        # The client scan reads the same settings file: if it exists in this build, let it confirm.
        from .rerun import rerun

        fresh = rerun(report, ["env.clients"]).get("env.clients")
        if fresh is None or not isinstance(fresh.data, dict):
            return None
        env = (fresh.data.get("claude_code") or {}).get("env") or {}
        return all(env.get(k) == v for k, v in wanted.items())


class ClaudeCodeTimeoutsFix(ClaudeSettingsFix):
    """Time limits for the installed Claude Code version, from the version table (data/claude_code.json).

    Writes only what changes that version's behaviour: API_TIMEOUT_MS only above its 600 s default (written
    explicitly it also doubles the non-streaming retry limit), CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS only where the
    version reads it, CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS only where its watchdog runs (api.anthropic.com) and
    never below its 10 s floor. A user's own lower limit that is too short is removed (back to the default)
    rather than overwritten with the default's value.
    """

    id = "claude-code-timeouts"
    title = Shown(N_("Give Claude Code time limits that fit this network"))
    probes = ("env.clients", "stream", "idle")

    def applies(self, report: Report) -> bool:
        causes = finding_causes(report)
        idle = probe_data(report, "idle")
        wanted = bool(causes & {"first-byte-timeout", "slow-first-byte"}) or bool(
            idle.get("ending") == "drop" and idle.get("cut_s"))
        try:
            env = env_of(_read(settings_path()))
        except Exception:
            env = self._cc(report).env  # unreadable file: preview() explains; decide from the scan
        current = _int(env, "API_TIMEOUT_MS")
        wanted = wanted or (current is not None and current < DEFAULT_API_TIMEOUT_MS)
        return wanted and bool(self.updates(report, env))

    @staticmethod
    def _cc(report: Report) -> ClaudeCodeHere:
        cc = from_clients(probe_data(report, "env.clients") or None, str(report.target.get("base_url") or ""))
        return cc or ClaudeCodeHere(False, None)

    def updates(self, report: Report, current_env: dict[str, Any]) -> dict[str, str | None]:
        cc = self._cc(report)
        cc.env = {str(k): str(v) for k, v in current_env.items()}
        stream = probe_data(report, "stream")
        ttfb = stream.get("time_to_first_byte_s") or 0.0
        if stream.get("outcome") == "first_byte_timeout":
            ttfb = max(ttfb, float((stream.get("limits") or {}).get("first_byte_timeout_s", 0.0)))
        # Three times the slowest first byte seen leaves room for bad days.
        needed_ms = math.ceil(3 * ttfb) * 1000
        out: dict[str, str | None] = {}
        current = _int(current_env, "API_TIMEOUT_MS")
        if needed_ms > max(current or 0, DEFAULT_API_TIMEOUT_MS):
            out["API_TIMEOUT_MS"] = str(needed_ms)
        elif current is not None and current < max(needed_ms, DEFAULT_API_TIMEOUT_MS):
            out["API_TIMEOUT_MS"] = None  # the user's shorter limit goes; the default is long enough
        first_byte = _int(current_env, FIRST_BYTE_VAR)
        if first_byte is not None and first_byte < needed_ms and cv.reads(FIRST_BYTE_VAR, cc.version) is not False:
            eff, _note = cv.effective_ms(FIRST_BYTE_VAR, cc.version, needed_ms)
            out[FIRST_BYTE_VAR] = str(eff)
        idle = probe_data(report, "idle")
        if idle.get("ending") == "drop" and idle.get("cut_s") and cv.applies_here(BYTE_IDLE_VAR, cc.version,
                                                                                   cc.base_url):
            # A silent drop leaves the stream hanging with no error. Once the silence is longer than the measured
            # cut the connection is certainly dead: give up a little after that and let Claude Code retry.
            cut = float(idle["cut_s"])
            wanted = math.ceil(cut + max(5.0, cut / 2)) * 1000
            eff, _note = cv.effective_ms(BYTE_IDLE_VAR, cc.version, wanted)
            if eff != _int(current_env, BYTE_IDLE_VAR):
                out[BYTE_IDLE_VAR] = str(eff)
        return out

    def describe(self, report: Report) -> str:
        cc = self._cc(report)
        try:
            updates = self.updates(report, env_of(_read(settings_path())))
        except Exception:  # describe() must not fail where preview() will explain
            updates = {}
        changes = [_("removes {name} (back to its default)", name=k) if v is None else
                   _("sets {name}={value}", name=k, value=v) for k, v in updates.items()]
        # TRANSLATORS: {client} is e.g. "Claude Code 2.1.250"; {changes} a comma-separated list of "sets X=1"
        parts: list[str] = [_("For {client}: {changes}.", client=cc.label, changes=", ".join(changes))]
        if updates.get("API_TIMEOUT_MS"):
            parts.append(api_timeout_note())
        for k, v in updates.items():
            if v is not None and k != "API_TIMEOUT_MS":
                _effect, why = setting_effect(cc, k, int(v))
                if why:
                    parts.append(why)
        idle = probe_data(report, "idle")
        if idle.get("ending") == "drop" and BYTE_IDLE_VAR not in updates:
            _effect, why = setting_effect(cc, BYTE_IDLE_VAR, 10_000)
            if why:
                parts.append(_("Not set: {why}", why=why))
        return " ".join(p for p in parts if p)


class ClaudeCodeProxyFix(ClaudeSettingsFix):
    id = "claude-code-proxy"
    title = Shown(N_("Send Claude Code through the proxy this computer uses"))
    probes = ("env.proxy", "env.clients")

    def applies(self, report: Report) -> bool:
        return system_proxy_unused(report, "claude-code") is not None

    def updates(self, report: Report, current_env: dict[str, Any]) -> dict[str, str | None]:
        proxy = system_proxy_unused(report, "claude-code")
        if proxy is None:
            return {}
        if not proxy.lower().startswith(("http://", "https://")):
            raise journal.FixError(_("the system proxy {proxy} is not an HTTP proxy; Claude Code cannot use SOCKS "
                                     "proxies, ask IT for an HTTP proxy address", proxy=proxy))
        return {"HTTPS_PROXY": proxy, "NO_PROXY": no_proxy_value(str(current_env.get("NO_PROXY") or ""))}

    def describe(self, report: Report) -> str:
        proxy = system_proxy_unused(report, "claude-code")
        return _("This computer's proxy settings (PAC or system) send api.anthropic.com through {proxy}, but Claude "
                 "Code reads only its own settings and environment. Sets HTTPS_PROXY and NO_PROXY there.",
                 proxy=proxy)


class ClaudeCodeCAFix(ClaudeSettingsFix):
    id = "claude-code-ca"
    title = Shown(N_("Let Claude Code trust the company's inspection certificate"))
    probes = ("tls", "env.clients")

    def applies(self, report: Report) -> bool:
        tls = probe_data(report, "tls")
        return bool(tls.get("inspected") and pem_is_certificate(tls.get("root_pem") or ""))

    def _pem_path(self) -> Path:
        return settings_path().parent / CA_FILE_NAME

    def updates(self, report: Report, current_env: dict[str, Any]) -> dict[str, str | None]:
        return {"NODE_EXTRA_CA_CERTS": str(self._pem_path())}

    def extra_files(self, report: Report, current_env: dict[str, Any]) -> dict[Path, bytes]:
        # NODE_EXTRA_CA_CERTS names one file: keep the certificates an existing setting pointed to.
        existing = str(current_env.get("NODE_EXTRA_CA_CERTS") or "")
        keep = Path(existing) if existing and Path(existing) != self._pem_path() else None
        return {self._pem_path(): combined_pem(str(probe_data(report, "tls").get("root_pem") or ""), keep)}

    def describe(self, report: Report) -> str:
        who = probe_data(report, "tls").get("inspector")
        cc = ClaudeCodeTimeoutsFix._cc(report)
        if not who:
            return _("A TLS-inspecting product re-signs the API's certificate with the company's own root. {advice} "
                     "Saves that root next to the settings as {file} and points NODE_EXTRA_CA_CERTS at it, which "
                     "every version reads.", advice=trust_advice(cc), file=CA_FILE_NAME)
        # TRANSLATORS: {who} is a product name (Zscaler, Netskope, ...); {advice} is a sentence about Claude Code
        return _("{who} re-signs the API's certificate with the company's own root. {advice} Saves that root next to "
                 "the settings as {file} and points NODE_EXTRA_CA_CERTS at it, which every version reads.", who=who,
                 advice=trust_advice(cc), file=CA_FILE_NAME)


def system_proxy_unused(report: Report, client: str) -> str | None:
    """The system/PAC proxy for the API when `client` would not use it (failure mode 6); else None."""
    data = probe_data(report, "env.proxy")
    proxy = (data.get("system") or {}).get("proxy")
    if not proxy:
        return None
    used = ((data.get("clients") or {}).get(client) or {}).get("proxy")
    return None if used else str(proxy)


def no_proxy_value(existing: str) -> str:
    """Loopback never goes through the proxy; entries the user already had are kept, in their order."""
    items = [x.strip() for x in existing.split(",") if x.strip()]
    for local in ("localhost", "127.0.0.1", "::1"):
        if local not in items:
            items.append(local)
    return ",".join(items)


SETTINGS_STEP = "settings-env"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def _validate_settings_step(step: dict[str, Any], record: journal.JournalRecord) -> None:
    journal.validate_file_step(step, record)
    env_before = step.get("env_before")
    if not isinstance(env_before, dict) or not all(
            isinstance(k, str) and _ENV_NAME.fullmatch(k) and (v is None or isinstance(v, str | int | float | bool))
            for k, v in env_before.items()):
        raise journal.RefusedRecordError(_("record {record}: refused the settings step", record=record.id))


def _undo_settings(step: dict[str, Any], record: journal.JournalRecord) -> None:
    """As the file step when the file is as we left it (or gone); else take back only our keys."""
    current = journal.current_bytes(step)
    if current is None or journal.sha256(current) in (step.get("after_sha256"), step.get("before_sha256")):
        journal.undo_file_bytes(step, record)
        return
    try:
        text = current.decode("utf-8")
        restored = merge_env(text, {k: (None if v is None else str(v)) for k, v in step["env_before"].items()},
                             step["path"])
        obj = parse_settings(restored)
    except (UnicodeDecodeError, journal.FixError):
        journal.undo_file_bytes(step, record)  # unreadable now: the promised bytes, theirs kept aside
        return
    if not step.get("had_env") and obj.get("env") == {}:
        del obj["env"]  # the block this fix created is empty again
        restored = render_like(text, obj)
    journal.keep_changed_copy(step, record, current)
    from .atomic import atomic_write

    atomic_write(Path(step["path"]), restored.encode("utf-8"))


journal.register_undo(SETTINGS_STEP, _undo_settings, _validate_settings_step)


def _int(env: dict[str, Any], key: str) -> int | None:
    try:
        return int(str(env[key]).strip())
    except (KeyError, ValueError):
        return None
