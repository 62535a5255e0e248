"""The user's own clients as test drivers: Claude Code in print mode, the Node SDK with the user's node, curl.

Our Python stack can stream fine on a path where the user's client fails (Bun without IPv6 fallback, a client
version's regression), and the other way round (Claude Code retries a cut stream without streaming). So each
installed client runs one short request and its own outcome goes into the matrix: every output line's arrival
time, its exact error text and its exit code. Runs only when the caller says the user agreed
(ctx.options["user_clients"]): a run may use the user's quota. Each client signs in the way it always does;
nothing here reads, copies or sends another program's credentials. Claude Code gets its own sign-in; the
Node SDK and curl get only the key the user gave Stream Doctor (curl reads it from stdin, never argv).

Claude Code flags (from its --help, 2.1.332): -p/--print, --output-format stream-json (newline-delimited
JSON events; requires --verbose in print mode), --verbose. DISABLE_AUTOUPDATER and
CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC keep the diagnostic run from updating the client or calling other
hosts; they do not change how it talks to the API.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

from ...cancel import CancelToken
from ...i18n import N_, _
from ...i18n.joining import clauses
from ...model import Evidence, ProbeResult, Status
from ..base import ProbeContext, Progress, ProgressCallback
from .drivers import DriverRun, run_driver

DEFAULT_BASE_URL = "https://api.anthropic.com"
PROMPT = "Reply with the single word OK."
CLIENT_TIMEOUT_S = 120.0  # Claude Code retries up to 10 times with backoff; two minutes shows that it does
QUIET = {"DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
STREAM_MAX_TOKENS = 16

NODE_SCRIPT = r"""
const mod = require(process.argv[1]);
const Anthropic = mod.default || mod.Anthropic || mod;
const client = new Anthropic({baseURL: process.env.SD_BASE_URL, maxRetries: 2});
(async () => {
  const stream = await client.messages.create({model: process.env.SD_MODEL, max_tokens: 16, stream: true,
    messages: [{role: "user", content: "Say hello in three words."}]});
  for await (const event of stream) console.log(JSON.stringify({type: event.type}));
})().catch((err) => { console.error(String(err)); process.exit(1); });
"""  # max_tokens matches STREAM_MAX_TOKENS


class ClientsProbe:
    name = "matrix.clients"
    title = N_("Your own clients")
    needs: tuple[str, ...] = ("env.clients",)
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        if not ctx.options.get("user_clients"):
            return ProbeResult(self.name, Status.SKIPPED, _("Not run: your own clients run only when you agree "
                                                            "(they may use your quota)"),
                               {"skipped": "no-consent", "clients": []})
        scan = ctx.results.get("env.clients")
        inventory = scan.data if scan is not None else {}
        timeout = float(ctx.options.get("clients_timeout_s", CLIENT_TIMEOUT_S))
        clients: list[dict[str, Any]] = []
        for name, fn in (("Claude Code", _claude_code), ("Node SDK", _node_sdk), ("curl", _curl)):
            if cancel.cancelled:
                break
            progress(Progress(self.name, None, _("running {client}", client=name)))
            clients.append({"name": name, **fn(ctx, inventory, timeout, cancel)})
        ran = [c for c in clients if c["outcome"] not in ("not-installed", "not-run")]
        data = {"clients": clients, "prompt": PROMPT}
        evidence = [Evidence(f"{c['name']} {c.get('version') or ''}".strip(), describe(c)) for c in clients]
        if not ran:
            return ProbeResult(self.name, Status.SKIPPED, _("None of your clients could be run here"), data, evidence)
        failed = [c for c in ran if c["outcome"] != "ok"]
        status = Status.OK if not failed else Status.FAIL
        summary = clauses(*[_("{client}: {result}", client=c["name"], result=describe(c)) for c in ran])
        return ProbeResult(self.name, status, summary, data, evidence)


def describe(c: dict[str, Any]) -> str:
    if c["outcome"] in ("not-installed", "not-run"):
        why = c.get("why")
        return _(why) if why else str(c["outcome"])  # the reasons are marked with N_() where they are made
    if c["outcome"] == "ok":
        return _("answered in {secs:.1f} s ({events} events, first after {first:.1f} s)", secs=c["time_s"],
                 events=c.get("events", 0), first=c.get("first_event_s") or 0.0)
    return _("failed after {secs:.1f} s, exit {code}: {error}", secs=c["time_s"], code=c.get("exit_code"),
             error=c.get("error", "")[:160])


def _env(ctx: ProbeContext, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if ctx.base_url.rstrip("/") != DEFAULT_BASE_URL:
        env["ANTHROPIC_BASE_URL"] = ctx.base_url  # the endpoint under test (a gateway, the lab)
    env.update(extra or {})
    return env


def _claude_code(ctx: ProbeContext, inventory: dict[str, Any], timeout: float, cancel: CancelToken) -> dict[str, Any]:
    cc = inventory.get("claude_code") or {}
    binary = cc.get("path") or shutil.which("claude")
    if not binary:
        return {"outcome": "not-installed", "why": N_("not installed (no claude on PATH)")}
    argv = [binary, "-p", PROMPT, "--output-format", "stream-json", "--verbose"]
    run = run_driver(argv, _env(ctx, QUIET), timeout, cancel)
    out = _common(run, cc.get("version"))
    events: list[dict[str, Any]] = []
    result: dict[str, Any] | None = None
    for t, line in run.lines:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if not isinstance(ev, dict):
            continue
        entry = {"t": round(t, 3), "type": ev.get("type"), "subtype": ev.get("subtype")}
        if ev.get("type") == "system" and ev.get("subtype") not in (None, "init"):
            entry["detail"] = {k: ev[k] for k in ("error", "error_status", "attempt", "retry_delay_ms")
                               if k in ev}
        events.append(entry)
        if ev.get("type") == "result":
            result = ev
    out["events_detail"] = events[:200]
    out["events"] = len(events)
    out["first_event_s"] = next((e["t"] for e in events if e["type"] != "system"), None)
    out["retries"] = sum(1 for e in events if e.get("subtype") == "api_retry")
    if result is not None:
        out["result"] = {k: result.get(k) for k in ("subtype", "is_error", "duration_ms", "duration_api_ms",
                                                    "num_turns")}
        if result.get("is_error"):
            out["error"] = str(result.get("result") or result.get("subtype") or "")[:500]
    ok = run.exit_code == 0 and result is not None and not result.get("is_error")
    out["outcome"] = "ok" if ok else "failed"
    if not ok and not out.get("error"):
        out["error"] = _last_words(run)
        retries = [e for e in events if e.get("subtype") == "api_retry"]
        if run.timed_out and retries:  # still retrying when stopped: its own words are in the retry events
            last = retries[-1].get("detail") or {}
            said = ", ".join(f"{k} {v}" for k, v in last.items() if k in ("error", "error_status") and v)
            out["error"] = (f"still retrying after {run.elapsed_s:.0f} s ({len(retries)} retries"
                            + (f"; last: {said}" if said else "") + ")")
    return out


def _node_sdk(ctx: ProbeContext, inventory: dict[str, Any], timeout: float, cancel: CancelToken) -> dict[str, Any]:
    node = (inventory.get("node_sdk") or {})
    if not node.get("node") or not node.get("installed") or not node.get("path"):
        return {"outcome": "not-installed", "why": N_("node or @anthropic-ai/sdk is not installed")}
    if not ctx.api_key:
        return {"outcome": "not-run", "why": N_("needs an API key (Stream Doctor never borrows another client's)")}
    env = _env(ctx, {"ANTHROPIC_API_KEY": ctx.api_key, "SD_BASE_URL": ctx.base_url, "SD_MODEL": ctx.model})
    run = run_driver([node["node"], "-e", NODE_SCRIPT, node["path"]], env, timeout, cancel)
    out = _common(run, node.get("version"))
    types = [json.loads(line).get("type") for _, line in run.lines if line.startswith("{")]
    out.update(events=len(types), first_event_s=run.lines[0][0] if run.lines else None,
               complete="message_stop" in types)
    out["outcome"] = "ok" if run.exit_code == 0 and out["complete"] else "failed"
    if out["outcome"] != "ok":
        out["error"] = _last_words(run)
    return out


def _curl(ctx: ProbeContext, inventory: dict[str, Any], timeout: float, cancel: CancelToken) -> dict[str, Any]:
    curl = shutil.which("curl")
    if not curl:
        return {"outcome": "not-installed", "why": N_("curl is not installed")}
    url = ctx.base_url.rstrip("/")
    config = ['header = "anthropic-version: 2023-06-01"', 'header = "content-type: application/json"']
    if ctx.api_key:
        body = json.dumps({"model": ctx.model, "max_tokens": STREAM_MAX_TOKENS, "stream": True,
                           "messages": [{"role": "user", "content": "Say hello in three words."}]})
        config += [f'header = "x-api-key: {ctx.api_key}"', f"data = {json.dumps(body)}", f'url = "{url}/v1/messages"']
    else:
        config.append(f'url = "{url}/v1/models"')  # no key: the API's 401 proves the path, no stream to test
    argv = [curl, "-sS", "-N", "--max-time", str(int(timeout)), "-w", "\\n%{http_code}\\n", "-K", "-"]
    if ctx.ca_file:
        argv += ["--cacert", ctx.ca_file]
    run = run_driver(argv, _env(ctx), timeout + 5, cancel, stdin_text="\n".join(config) + "\n")
    out = _common(run, None)
    status = run.lines[-1][1].strip() if run.lines else ""
    events = [t for t, line in run.lines if line.startswith("event:")]
    out.update(http_status=status, events=len(events), first_event_s=events[0] if events else None,
               streamed=bool(ctx.api_key))
    complete = any("message_stop" in line for _, line in run.lines)
    answered = status.isdigit() and status != "000"
    ok = run.exit_code == 0 and ((status == "200" and complete) if ctx.api_key else answered)
    out["outcome"] = "ok" if ok else "failed"
    if not ok:
        out["error"] = _last_words(run) or f"HTTP {status}"
    return out


def _common(run: DriverRun, version: str | None) -> dict[str, Any]:
    return {"version": version, "exit_code": run.exit_code, "time_s": run.elapsed_s, "timed_out": run.timed_out,
            "stderr_tail": run.stderr[-1000:], "start_error": run.error}


def _last_words(run: DriverRun) -> str:
    if run.error:
        return run.error
    if run.timed_out:
        return f"no result within {run.elapsed_s:.0f} s (stopped)"
    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else (run.lines[-1][1] if run.lines else "no output"))[:500]
