"""Probe "env.proxy": which proxy the system says the API URL should take, and which one each client uses.

The two often differ on corporate laptops (failure mode 6): the browser follows a PAC file or WPAD, while the
Python SDK reads only environment variables (plus static Windows/macOS settings), and Claude Code and Node
read only environment variables and Claude Code's settings.json env block. Neither evaluates PAC.

Sources: environment variables (both spellings), the OS/desktop settings (platform adapters), and the PAC
file evaluated for the API URL in a separate process with a time limit.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from ..cancel import CancelToken
from ..i18n import N_, _
from ..model import Evidence, ProbeResult, Status
from ..platform import current
from ..platform.base import SystemProxy
from ..platform.pac import pac_for_url
from ..platform.parse_proxy import (
    bypass_matches,
    env_proxies,
    env_proxy_for,
    pac_first_choice,
    parse_pac_result,
    redact_proxy,
    redact_text,
    static_proxy_for,
)
from .base import ProbeContext, Progress, ProgressCallback, Stopwatch
from .env_clients import claude_code_env, read_claude_settings
from .proxy_choice import CLAUDE_CODE, NODE_SDK, PYTHON_SDK

OS_API_TIMEOUT_S = 3.0


def system_answer(sources: list[SystemProxy], url: str, env: dict[str, str],
                  os_answer: tuple[str | None, str] | None, pac_eval: Any = pac_for_url) -> dict[str, Any]:
    """What the OS/browser would use for `url`: the OS's own answer when it has one (WinHTTP), else the first
    configured source: a PAC file (evaluated), static settings, or (KDE) the environment."""
    configured = [sp for sp in sources if sp.mode not in ("none", "unknown")]
    errors = [sp.error for sp in sources if sp.error]
    answer: dict[str, Any] = {"proxy": None, "source": "none: no system proxy is configured", "pac_url": None,
                              "mode": "none", "pac_result": None, "error": errors[0] if errors else None}
    if not configured:
        if errors and not any(sp.mode == "none" for sp in sources):
            answer.update(mode="unknown", source="could not read the system proxy settings")
        return answer
    sp = configured[0]
    answer.update(mode=sp.mode, pac_url=sp.pac_url, source=sp.source)
    if os_answer is not None:
        proxy, raw = os_answer
        answer.update(proxy=proxy, source=f"{sp.source}, asked WinHTTP for this URL",
                      error=raw if raw.startswith("could not read") else None, os_answer=raw)
        return answer
    if sp.mode == "pac" and sp.pac_url:
        outcome = pac_eval(sp.pac_url, url)
        answer.update(pac_result=outcome.result, pac_error=outcome.error, pac_script=outcome.script,
                      source=f"PAC file {sp.pac_url} ({sp.source})")
        if outcome.result is not None:
            proxy, understood = pac_first_choice(outcome.result)
            answer["proxy"] = proxy
            answer["pac_choices"] = [list(c) for c in parse_pac_result(outcome.result)]
            if not understood:
                answer["error"] = f"could not read: the PAC answer {outcome.result!r} names no usable proxy"
        else:
            answer["error"] = outcome.error
        return answer
    if sp.mode == "auto-detect":
        answer["source"] = f"{sp.source}: automatic detection (WPAD) is on; not evaluated here"
        answer["error"] = "could not read: WPAD discovery is not run by the scan"
        return answer
    if sp.mode == "env":
        answer["proxy"], why = env_proxy_for(url, env)
        answer["source"] = f"{sp.source}: follows the environment ({why})"
        return answer
    answer["proxy"] = static_proxy_for(sp, url)
    if answer["proxy"] is None and (sp.http or sp.https):
        host = urlsplit(url).hostname or ""
        if bypass_matches(host, sp.bypass):
            answer["source"] = f"{sp.source}: the API host is in its bypass list"
        else:
            answer["source"] = (f"{sp.source}: only an HTTP proxy is set ({redact_proxy(sp.http)}); "
                                "https:// goes direct")
    return answer


def client_choices(url: str, env: dict[str, str], sources: list[SystemProxy], platform_name: str,
                   claude_env: dict[str, str], claude_origin: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Which proxy each client really uses for `url`, and why, following each client's own rules."""
    clients: dict[str, dict[str, Any]] = {}
    # Python SDK (httpx2): urllib's getproxies(): env if any proxy variable is set; otherwise the static
    # settings of the Windows registry / macOS (never PAC, never WPAD); on Linux only env. urllib keys them by
    # scheme ("http=h:p" alone gives no https entry; macOS HTTPEnable without HTTPSEnable neither), and its
    # macOS reader has no SOCKS entry, so an http-only or SOCKS-only setting leaves https:// direct.
    proxy, why = env_proxy_for(url, env)
    if proxy is None and not env_proxies(env) and platform_name in ("windows", "macos"):
        static = next((sp for sp in sources if (sp.http or sp.https) and "WinHTTP" not in sp.source), None)
        chosen = static_proxy_for(static, url, use_socks=False) if static is not None else None
        if static is not None and chosen:
            proxy, why = chosen, f"static proxy from {static.source}"
    clients[PYTHON_SDK] = {"proxy": proxy, "source": why, "reads": "environment variables and static system "
                           "settings (Windows/macOS); never PAC"}
    # Claude Code: its process env overlaid by settings.json env blocks; no PAC, no system settings, no SOCKS.
    proxy, why = env_proxy_for(url, claude_env)
    origin = next((claude_origin[k] for k in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY")
                   if k in claude_origin and claude_env.get(k)), "")
    clients[CLAUDE_CODE] = {"proxy": proxy, "source": f"{why} ({origin})" if proxy and origin else why,
                            "reads": "environment variables and the env block of settings.json; never PAC"}
    # Node SDK: Node's built-in fetch ignores proxy variables unless NODE_USE_ENV_PROXY=1 / --use-env-proxy.
    node_opts = env.get("NODE_OPTIONS", "")
    if env.get("NODE_USE_ENV_PROXY") == "1" or "--use-env-proxy" in node_opts:
        proxy, why = env_proxy_for(url, env)
    else:
        proxy = None
        why = ("direct: Node's fetch ignores HTTPS_PROXY unless NODE_USE_ENV_PROXY=1 is set or the script "
               "passes a proxy agent")
    clients[NODE_SDK] = {"proxy": proxy, "source": why, "reads": "nothing by default (NODE_USE_ENV_PROXY=1: env)"}
    return clients


def _redacted(source: dict[str, Any]) -> dict[str, Any]:
    return {k: redact_proxy(v) if k in ("http", "https", "socks") else v for k, v in source.items()}


def scan_proxies(url: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    env = dict(os.environ) if env is None else env
    plat = current()
    sources = plat.proxy.read_system_proxies()
    os_answer = plat.proxy.proxy_for_url(url, OS_API_TIMEOUT_S)
    system = system_answer(sources, url, env, os_answer)
    files = read_claude_settings()
    claude_env, claude_origin = claude_code_env(files, env)
    clients = client_choices(url, env, sources, plat.name, claude_env, claude_origin)
    raw: dict[str, str] = {}
    for sp in sources:
        raw.update({label: redact_text(text) for label, text in sp.raw.items()})
    env_seen = env_proxies(env)
    raw["environment"] = "\n".join(f"{v['name']}={redact_proxy(v['value'])}" for v in env_seen.values()) or "(none)"
    if system.get("pac_script"):
        raw["pac file"] = redact_text(system.pop("pac_script"))
    return {
        "url": url,
        "system": system,
        "system_sources": [_redacted(sp.as_dict()) for sp in sources],
        "env": {v["name"]: redact_proxy(v["value"]) for v in env_seen.values()},
        "clients": clients,
        "raw": raw,
    }


class EnvProxyProbe:
    name = "env.proxy"
    title = N_("Proxy settings")
    needs: tuple[str, ...] = ()
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        clock = Stopwatch()
        progress(Progress(self.name, 0.1, _("reading proxy settings")))
        url = ctx.base_url.rstrip("/") + "/v1/messages"
        data = scan_proxies(url)
        cancel.raise_if_cancelled()
        system = data["system"]
        if system["proxy"]:
            sys_text = _("The system says {proxy}.", proxy=redact_proxy(system["proxy"]))
        elif system["mode"] in ("none", "manual", "pac"):
            sys_text = _("The system says direct.")
        else:
            sys_text = _("The system proxy is unknown ({why}).", why=system["error"] or system["mode"])
        used = {c: redact_proxy(v["proxy"]) or _("direct") for c, v in data["clients"].items()}
        summary = _("{system} Python SDK: {python}, Claude Code: {claude}.", system=sys_text,
                    python=used["python-sdk"], claude=used["claude-code"])
        evidence = [Evidence(_("System proxy for the API"), redact_proxy(system["proxy"]) or _("direct"),
                             raw=system["source"])]
        if system.get("pac_url"):
            evidence.append(Evidence(_("PAC file"), system["pac_url"],
                                     raw=system.get("pac_result") or system.get("error") or ""))
        for client, entry in data["clients"].items():
            evidence.append(Evidence(_("Proxy used by {client}", client=client),
                                     redact_proxy(entry["proxy"]) or _("direct"),
                                     raw=entry["source"]))
        for name, value in data["env"].items():
            evidence.append(Evidence(_("Environment {name}", name=name), value))
        progress(Progress(self.name, 1.0, _("done")))
        return ProbeResult(self.name, Status.OK, summary, data=data, evidence=evidence, duration_s=clock())
