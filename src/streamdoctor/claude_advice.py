"""Claude Code advice that fits the installed version: which variable to name, what it will really do.

Rules and fixes used to name Claude Code variables from one fixed list; real Claude Code 2.1.197 ignored half
of them (issue 17). Everything here asks claude_versions (data/claude_code.json) what the installed version
reads, clamps and scopes, and words the answer as a condition when the version is unknown. Pure functions over
the env.clients probe data: no I/O, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import claude_versions as cv
from .i18n import Msg, _

FIRST_BYTE_VAR = "CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS"
BYTE_IDLE_VAR = "CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS"
STREAM_IDLE_VAR = "CLAUDE_STREAM_IDLE_TIMEOUT_MS"
TIMEOUT_VAR = "API_TIMEOUT_MS"


@dataclass
class ClaudeCodeHere:
    """The Claude Code the scan found: its version, the env its settings give it, the API host it uses."""

    installed: bool
    version_text: str | None
    env: dict[str, str] = field(default_factory=dict)
    env_origin: dict[str, str] = field(default_factory=dict)
    base_url: str | None = None

    @property
    def version(self) -> cv.Version | None:
        return cv.parse_version(self.version_text)

    @property
    def label(self) -> str:
        """The product and its version as the user's `claude --version` shows it (only "unknown" is translated)."""
        return f"Claude Code {self.version_text}" if self.version else _("Claude Code (version unknown)")

    @property
    def first_party(self) -> bool:
        return cv.is_first_party(self.base_url)


def from_clients(data: dict[str, Any] | None, target_url: str | None = None) -> ClaudeCodeHere | None:
    """From env.clients probe data; None when the scan did not run. `target_url` is used as the API host when
    Claude Code's own settings name none (the host the user asked us to test is the one they use)."""
    if not isinstance(data, dict):
        return None
    cc = data.get("claude_code")
    cc = cc if isinstance(cc, dict) else {}  # a scan that could not read Claude Code: nothing known
    raw_env = cc.get("env")
    env = {str(k): str(v) for k, v in raw_env.items()} if isinstance(raw_env, dict) else {}
    origin = cc.get("env_origin")
    version = cc.get("version")
    base = env.get("ANTHROPIC_BASE_URL") or target_url or None
    return ClaudeCodeHere(bool(cc.get("installed")), version if isinstance(version, str) else None, env,
                          {str(k): str(v) for k, v in origin.items()} if isinstance(origin, dict) else {}, base)


def first_byte_variable(cc: ClaudeCodeHere | None) -> str:
    """The variable that sets how long Claude Code waits for an answer to start, for this version."""
    version = cc.version if cc else None
    reads = cv.reads(FIRST_BYTE_VAR, version)
    if reads:
        return FIRST_BYTE_VAR
    if reads is False:
        return TIMEOUT_VAR
    return _("{timeout_var} (and {first_byte_var} from Claude Code {version} on)", timeout_var=TIMEOUT_VAR,
             first_byte_var=FIRST_BYTE_VAR, version=str(cv.first_version(FIRST_BYTE_VAR)))


def api_timeout_note() -> str:
    note = cv.facts().side_effects.get(TIMEOUT_VAR, "")
    return _(note) if note else ""  # data/claude_code.json's text, extracted into the catalogs (scripts/i18n.py)


def _int(value: str | None) -> int | None:
    try:
        return int(float(str(value).replace("_", "")))  # 2.1.211 accepts 1e6 and 64_000 spellings
    except (TypeError, ValueError):
        return None


def setting_effect(cc: ClaudeCodeHere, name: str, value: int) -> tuple[bool | None, Msg | str]:
    """(has an effect here?, why not / how it is changed) for writing name=value for this Claude Code."""
    version = cc.version
    reads = cv.reads(name, version)
    if reads is False:
        first = cv.first_version(name)
        ph_all = cv.facts().variables.get(name, ())
        removed = next((p for p in ph_all if p.until is not None and version is not None and version >= p.until), None)
        if removed is not None:
            return False, _("{label} no longer reads {name} (removed in {version}).", label=cc.label, name=name,
                            version=cv.fmt(removed.until))  # type: ignore[arg-type]
        if first:
            return False, _("{label} does not read {name} (it arrived in {version}).", label=cc.label, name=name,
                            version=first)
        return False, _("{label} does not read {name}.", label=cc.label, name=name)
    applies = cv.applies_here(name, version, cc.base_url)
    if applies is False:
        return False, _("{name} applies only to api.anthropic.com; {label} talks to {host}, so it changes nothing "
                        "here.", name=name, label=cc.label, host=_host(cc.base_url))
    eff, clamp = cv.effective_ms(name, version, value)
    if clamp:
        return True, clamp
    if reads is None:
        first = cv.first_version(name)
        return None, (_("Only Claude Code {version} and later read {name}.", version=first, name=name) if first
                      else "")
    return True, ""


def _host(url: str | None) -> str:
    return urlsplit(url or "").hostname or "api.anthropic.com"


def _setting(key: str, raw: str, origin: str) -> Msg | str:
    """How a setting is quoted in a sentence: KEY=value, and where it was set when the scan knows."""
    written = f"{key}={raw}"  # as in the settings file: not translated
    if origin:
        # TRANSLATORS: a Claude Code setting as written, and the settings file or place it came from
        return _("{setting} (from {origin})", setting=written, origin=origin)
    return written


def settings_flags(cc: ClaudeCodeHere) -> list[tuple[str, Msg]]:
    """(key, sentence) for each setting that does nothing or hurts with this version on this network."""
    flags: list[tuple[str, Msg]] = []
    version = cc.version
    for key, raw in sorted(cc.env.items()):
        origin = cc.env_origin.get(key, "")
        if key in cv.facts().variables and key.endswith("_MS"):
            value = _int(raw)
            if value is None:
                flags.append((key, _("{setting} is not a number; Claude Code ignores it.",
                                     setting=_setting(key, repr(raw), origin))))
                continue
            effect, why = setting_effect(cc, key, value)
            if why and effect is not None:
                # TRANSLATORS: a setting, then the sentence that says what Claude Code does with it
                flags.append((key, _("{setting}: {why}", setting=_setting(key, raw, origin), why=why)))
            ph = cv.phase(key, version)
            if key == TIMEOUT_VAR and ph is not None and value == ph.default:
                # {note} is a sourced fact from data/claude_code.json, quoted as the data file words it
                flags.append((key, _("{setting} is the default already. {note}", setting=_setting(key, raw, origin),
                                     note=api_timeout_note())))
        if key == "NODE_OPTIONS" and cv.is_native(version):
            flags.append((key, _("{setting} does nothing: {label} is a native build (Bun), not Node.",
                                 setting=_setting_name(key, origin), label=cc.label)))
        if key.upper() in ("HTTPS_PROXY", "HTTP_PROXY"):
            flags.extend((key, s) for s in proxy_url_problems(key, raw, origin))
    managed = sorted(k for k, o in cc.env_origin.items() if o.startswith("managed"))
    if managed:
        flags.append(("managed", _("Managed settings set {names}; they override the user's own settings, so change "
                                   "them through IT, not in ~/.claude/settings.json.", names=", ".join(managed))))
    return flags


def _setting_name(key: str, origin: str) -> Msg | str:
    """A setting named without its value, and where it was set when the scan knows."""
    return _("{setting} (from {origin})", setting=key, origin=origin) if origin else key


def proxy_url_problems(key: str, url: str, origin: str = "") -> list[Msg]:
    """Proxy URL forms Claude Code cannot use (DESIGN facts: http:// only, Basic auth, no SOCKS/PAC/NTLM).
    `origin` is where the setting came from (a settings file), quoted with its name when given."""
    out: list[Msg] = []
    low = url.strip().lower()
    parts = urlsplit(url.strip()) if "://" in low else None
    name = _setting_name(key, origin)
    if low.startswith("https://"):
        out.append(_("{setting} starts with https://: a proxy is reached with http:// even for HTTPS traffic; write "
                     "http://HOST:PORT.", setting=name))
    elif low.startswith(("socks://", "socks4://", "socks5://", "socks5h://")):
        out.append(_("{setting} is a SOCKS proxy; Claude Code speaks only to HTTP proxies.", setting=name))
    if parts is not None and parts.username is not None and not parts.password:
        out.append(_("{setting} has a user name with an empty password; the proxy will answer 407.", setting=name))
    if parts is not None and parts.username and ("\\" in (parts.username or "") or "%5c" in low):
        out.append(_("{setting} names a DOMAIN\\user account: that is NTLM/Kerberos, which Claude Code cannot do; a "
                     "local gateway (cntlm, px) is needed.", setting=name))
    return out


def trust_advice(cc: ClaudeCodeHere | None) -> Msg:
    """What makes Claude Code trust a TLS-inspecting proxy's root, for this version."""
    version = cc.version if cc else None
    trusted = cv.os_store_trusted(version)
    label = cc.label if cc else "Claude Code"
    if trusted is True:
        return _("{label} trusts the operating system's certificate store (since 2.1.101): if IT installed the "
                 "company root on this computer it works as is; otherwise give it the root with NODE_EXTRA_CA_CERTS.",
                 label=label)
    if trusted is False:
        return _("{label} trusts only its bundled certificates (the OS store is trusted from 2.1.101 on): it needs "
                 "the company root in NODE_EXTRA_CA_CERTS, or an update.", label=label)
    return _("Claude Code 2.1.101 and later trust the operating system's certificate store; older versions need the "
             "company root in NODE_EXTRA_CA_CERTS.")


def bug_notes(cc: ClaudeCodeHere | None, error_ids: list[str] | None = None) -> list[Msg]:
    """Sentences about known network bugs of this version (optionally only those behind these errors)."""
    if cc is None or cc.version is None:
        return []
    bugs: list[cv.Bug] = []
    for err in error_ids or [None]:  # type: ignore[list-item]
        for b in cv.known_bugs(cc.version, err, gateway=not cc.first_party):
            if b not in bugs:
                bugs.append(b)
    # {symptom} and {source} come from data/claude_code.json (the changelog's own words and where they are)
    return [_("{label} has a known bug: {symptom}; fixed in {fixed_in} ({source}).", label=cc.label,
              symptom=_(b.symptom), fixed_in=b.fixed_in, source=b.source) for b in bugs]
