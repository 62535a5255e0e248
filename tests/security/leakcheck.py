"""Plant secrets in every input the product reads, run the real CLI, and grep every output a user can see.

Inputs: ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL / --base-url with user:password (basic auth
to a loopback gateway that demands it and sets a cookie), HTTP(S)_PROXY with user:password in raw and
percent-encoded form, a KDE PAC URL with token= and auth_token=, and Claude Code's settings.json env block.
Outputs: check --json stdout, the terminal report, stderr, every file in the log folder, every member of the
bundle. Forms looked for: raw, percent-encoded, JSON-escaped, and base64 of user:password (Basic auth).

Used by test_leaks.py, and runnable on another tree to count leaks before a change:
    .venv/bin/python tests/security/leakcheck.py [--src /tmp/old/src]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clirun import clean_env, run_cli  # noqa: E402
from hostile import hostile_server, read_head  # noqa: E402

# Long, distinct, unmistakable values: a hit can only be a leak.
SECRETS = {
    "api_key": "sk-ant-api03-PLANTEDkey0123456789abcdefghijklmnopqrstuvwxyz",
    "auth_token": "PLANTEDauthToken0123456789abcdef",
    "proxy_password": "Pr0xy!PLANTEDpw@9",  # '@' and '!' need percent-encoding in a URL
    "gateway_password": "GwPLANTEDpass#42",
    "pac_token": "PACtokPLANTED123456",
    "pac_auth_token": "PACauthPLANTED654321",
    "cookie": "CookiePLANTEDsession7777",
    "settings_key": "sk-ant-api03-PLANTEDsettingsKEY9876543210zyxwvutsrq",
    "settings_proxy_password": "SettingsPLANTEDpw55",
    "base_url_password": "BasePLANTEDpw3131",
}
PROXY_USER, GATEWAY_USER, BASE_USER = "proxyuser", "gwuser", "baseuser"


def forms(name: str, value: str) -> dict[str, str]:
    out = {"raw": value, "percent-encoded": quote(value, safe=""), "json-escaped": json.dumps(value)[1:-1]}
    user = {"proxy_password": PROXY_USER, "gateway_password": GATEWAY_USER, "base_url_password": BASE_USER,
            "settings_proxy_password": "ccuser"}.get(name)
    if user:
        out["basic-auth"] = base64.b64encode(f"{user}:{value}".encode()).decode()
    return out


def gateway(expected_basic: str) -> object:
    """A loopback gateway: answers the API's JSON 401 or a short SSE answer, sets a cookie, wants Basic auth."""
    from streamdoctor.protocol import sse

    cookie = f"set-cookie: session={SECRETS['cookie']}; Path=/; HttpOnly\r\n".encode()

    def handler(conn: socket.socket, stop: threading.Event) -> None:
        head = read_head(conn).decode("latin-1")
        if f"Basic {expected_basic}" not in head and "Proxy-Authorization" not in head:
            conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Basic realm=\"gw\"\r\n" + cookie +
                         b"content-length: 0\r\nconnection: close\r\n\r\n")
            return
        if head.startswith("POST") and "/v1/messages" in head.split("\r\n", 1)[0]:
            body = (sse.message_start("msg_1", "claude", 5) + sse.content_block_start() + sse.text_delta("hi")
                    + sse.content_block_stop() + sse.message_delta(1) + sse.message_stop())
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n" + cookie +
                         b"request-id: req_1\r\nconnection: close\r\n\r\n" + body)
            return
        body = b'{"type":"error","error":{"type":"authentication_error","message":"x-api-key header is required"}}'
        conn.sendall(b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nrequest-id: req_2\r\n" + cookie
                     + b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body))

    return handler


def run_all(home: Path, pythonpath: str | None = None) -> tuple[dict[str, str], int]:
    """Run the commands with every secret planted; returns ({output name: text}, number of commands run)."""
    gw_basic = base64.b64encode(f"{GATEWAY_USER}:{SECRETS['gateway_password']}".encode()).decode()
    outputs: dict[str, str] = {}
    with hostile_server(gateway(gw_basic)) as port:  # type: ignore[arg-type]
        pw = quote(SECRETS["proxy_password"], safe="")
        cfg = home / ".config"
        cfg.mkdir(parents=True, exist_ok=True)
        (cfg / "kioslaverc").write_text(
            "[Proxy Settings]\nProxyType=2\nProxy Config Script="
            f"http://127.0.0.1:{port}/proxy.pac?token={SECRETS['pac_token']}&auth_token={SECRETS['pac_auth_token']}\n")
        claude = home / ".claude"
        claude.mkdir(parents=True, exist_ok=True)
        (claude / "settings.json").write_text(json.dumps({"env": {
            "ANTHROPIC_API_KEY": SECRETS["settings_key"],
            "HTTPS_PROXY": f"http://ccuser:{SECRETS['settings_proxy_password']}@127.0.0.1:{port}"}}))
        gw_url = f"http://{GATEWAY_USER}:{quote(SECRETS['gateway_password'], safe='')}@127.0.0.1:{port}"
        env = clean_env(home, XDG_CONFIG_HOME=str(cfg),
                        ANTHROPIC_API_KEY=SECRETS["api_key"], ANTHROPIC_AUTH_TOKEN=SECRETS["auth_token"],
                        ANTHROPIC_BASE_URL=f"http://{BASE_USER}:{SECRETS['base_url_password']}@127.0.0.1:{port}",
                        HTTP_PROXY=f"http://{PROXY_USER}:{pw}@127.0.0.1:{port}",
                        HTTPS_PROXY=f"http://{PROXY_USER}:{pw}@127.0.0.1:{port}")
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        bundle_dir = home / "bundle"
        runs = {
            "check --json (stdout)": ["check", "--quick", "--json", "--base-url", gw_url, "--allow-plain-http"],
            "check terminal (stdout)": ["check", "--quick", "--base-url", gw_url, "--allow-plain-http",
                                        "--bundle", str(bundle_dir)],
            "stress --json (stdout)": ["stress", "--yes", "--json", "--base-url", gw_url, "--allow-plain-http"],
            "check from env (stdout)": ["check", "--quick", "--json", "--allow-plain-http"],
        }
        if pythonpath:  # an older tree without --allow-plain-http
            runs = {k: [a for a in v if a != "--allow-plain-http"] for k, v in runs.items()}
        for name, args in runs.items():
            proc = run_cli(args, env)
            outputs[name] = proc.stdout
            outputs[name.replace("stdout", "stderr")] = proc.stderr
    for path in sorted((home / "logs").glob("*")) if (home / "logs").is_dir() else []:
        outputs[f"log file {path.name}"] = path.read_text("utf-8", "replace")
    for zpath in sorted(bundle_dir.glob("*.zip")) if bundle_dir.is_dir() else []:
        with zipfile.ZipFile(zpath) as z:
            for member in z.namelist():
                outputs[f"bundle {member}"] = z.read(member).decode("utf-8", "replace")
    return outputs, len(runs)


def find_leaks(outputs: dict[str, str]) -> list[tuple[str, str, str]]:
    """(secret, form, output) for every planted secret found in an output, in any of its forms."""
    leaks = []
    for name, value in SECRETS.items():
        for form, text in forms(name, value).items():
            for out_name, out in outputs.items():
                if text in out:
                    leaks.append((name, form, out_name))
    return leaks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default="", help="PYTHONPATH of another tree to test (e.g. before a change)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outputs, commands = run_all(Path(tmp), args.src or None)
        leaks = find_leaks(outputs)
    print(f"{commands} commands, {len(outputs)} outputs, {len(SECRETS)} secrets in up to 4 forms: "
          f"{len(leaks)} leaks")
    for leak in leaks:
        print("  ", *leak)
    tracebacks = [k for k, v in outputs.items() if "Traceback" in v and "stderr" in k]
    print(f"tracebacks on stderr: {len(tracebacks)} {tracebacks}")


if __name__ == "__main__":
    os.environ.pop("PYTHONPATH", None)
    main()
