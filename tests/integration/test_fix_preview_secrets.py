"""Issue 14 item 4 (diffs): what `fix show` / `fix apply` print never holds a secret, context lines included.

Secrets are planted where the fixes read and write: settings.json's env block (API key, auth token, custom
headers, a proxy URL with a password), the system proxy the fix writes (user:password@), and an nginx
configuration with secret headers (and a Latin-1 byte, which must not break the preview either). Real
`streamdoctor` subprocesses; their whole terminal output is searched for every planted value.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from fixreports import proxy_report, report  # noqa: E402

from streamdoctor.model import to_jsonable  # noqa: E402

SECRETS = {
    "api_key": "sk-ant-api03-PLANTEDkey0123456789abcdef",
    "auth_token": "PLANTEDauthTOKEN-0123456789",
    "header": "PLANTEDheaderBEARER987654321",
    "proxy_pw": "PLANTEDproxyPW55",
    "sys_proxy_pw": "PLANTEDsysPW77",
    "nginx_bearer": "PLANTEDnginxBEARER123456",
    "nginx_key": "PLANTEDnginxAPIKEY999",
}
SETTINGS = {
    "model": "opus",
    "env": {
        "ANTHROPIC_API_KEY": SECRETS["api_key"],
        "ANTHROPIC_AUTH_TOKEN": SECRETS["auth_token"],
        "ANTHROPIC_CUSTOM_HEADERS": f"Authorization: Bearer {SECRETS['header']}",
        "HTTPS_PROXY": f"http://alice:{SECRETS['proxy_pw']}@proxy.corp.example:3128",
    },
}


def _run(argv: list[str], env: dict[str, str]) -> str:
    run = subprocess.run([sys.executable, "-m", "streamdoctor", *argv], env=env, capture_output=True, text=True,
                         timeout=120)
    return run.stdout + run.stderr


def _assert_clean(output: str) -> None:
    leaked = [k for k, v in SECRETS.items() if v in output]
    assert not leaked, f"leaked {leaked} in:\n{output}"


@pytest.fixture
def setup(tmp_path: Path) -> tuple[dict[str, str], Path]:
    claude = tmp_path / "claude"
    claude.mkdir()
    (claude / "settings.json").write_text(json.dumps(SETTINGS, indent=2) + "\n")
    env = {**os.environ, "STREAMDOCTOR_HOME": str(tmp_path / "home"), "CLAUDE_CONFIG_DIR": str(claude),
           "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    return env, tmp_path


@pytest.mark.parametrize("fix_id", ["claude-code-timeouts", "claude-code-proxy", "env-proxy"])
def test_settings_and_env_previews_hold_no_secret(setup: tuple[dict[str, str], Path], fix_id: str) -> None:
    env, tmp = setup
    timeouts = report({"stream": {"outcome": "completed", "time_to_first_byte_s": 250.0}}, {"slow-first-byte": []})
    proxied = proxy_report(f"http://bob:{SECRETS['sys_proxy_pw']}@proxy.corp.example:8080")
    rep = timeouts if fix_id == "claude-code-timeouts" else proxied
    path = tmp / "report.json"
    path.write_text(json.dumps(to_jsonable(rep)))
    shown = _run(["fix", "show", fix_id, "--report", str(path)], env)
    assert "@proxy.corp.example" in shown or "API_TIMEOUT_MS" in shown, shown  # the preview is really there
    _assert_clean(shown)
    applied = _run(["fix", "apply", fix_id, "--report", str(path), "--yes", "--no-verify"], env)
    assert "Applied" in applied, applied
    _assert_clean(applied)
    _assert_clean(_run(["fix", "list"], env))
    # The file itself holds the real values: redaction is for what is shown, never for what is written.
    if fix_id.startswith("claude-code"):
        written = (tmp / "claude" / "settings.json").read_text()
        assert SECRETS["api_key"] in written


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed")
def test_nginx_preview_holds_no_secret_header_and_survives_latin1(setup: tuple[dict[str, str], Path]) -> None:
    env, tmp = setup
    d = tmp / "nginx"
    (d / "tmp").mkdir(parents=True)
    conf = d / "nginx.conf"
    conf.write_bytes(f"""# Gateway for the team. Caf\xe9 comment in Latin-1
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
    server {{
        listen 127.0.0.1:18099;
        location / {{
            proxy_set_header Authorization "Bearer {SECRETS['nginx_bearer']}";
            proxy_set_header x-api-key {SECRETS['nginx_key']};
            proxy_pass http://127.0.0.1:9;
        }}
    }}
}}
""".encode("latin-1"))
    original = conf.read_bytes()
    env[("STREAMDOCTOR_NGINX_CMD")] = shlex.join([NGINX, "-p", str(d), "-c", str(conf), "-e", str(d / "error.log")])
    rep = report({"stream": {"outcome": "completed", "largest_burst_share": 0.95}}, {"buffering": []},
                 base_url="http://127.0.0.1:18099")
    path = tmp / "report.json"
    path.write_text(json.dumps(to_jsonable(rep)))
    shown = _run(["fix", "show", "nginx-streaming", "--report", str(path)], env)
    assert "proxy_buffering off" in shown and "Traceback" not in shown, shown
    assert "[redacted" in shown
    _assert_clean(shown)
    assert conf.read_bytes() == original  # show changes nothing


def test_redact_preview_hides_secrets_in_context_lines() -> None:
    from streamdoctor.fixes.base import text_diff

    before = json.dumps(SETTINGS, indent=2) + "\n"
    after = json.dumps({**SETTINGS, "env": {**SETTINGS["env"], "API_TIMEOUT_MS": "900000"}}, indent=2) + "\n"
    diff = text_diff(before, after, "settings.json")
    assert '"API_TIMEOUT_MS": "900000"' in diff
    _assert_clean(diff)
    # A change of only a secret is said, not shown.
    other = before.replace(SECRETS["api_key"], "sk-ant-api03-OTHERkey0123456789abcdef")
    assert text_diff(before, other, "settings.json") == "(only a secret value changes; it is not shown)"
