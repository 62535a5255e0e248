"""The bundle for IT, built from a real check against the in-process lab (idle-reset: a box that resets silent
connections): a reader with only the zip can name the cause, the number and the change; nothing planted as a
secret survives in any byte of any file; report.json and requests.har validate; the HTML renders in headless
Chromium; a full disk or an unwritable folder gives one clear line and leaves no partial zip."""

from __future__ import annotations

import argparse
import base64
import copy
import errno
import html
import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import quote

import jsonschema
import pytest

from streamdoctor import paths
from streamdoctor.bundle import BundleWriteError, summary_text, write_bundle
from streamdoctor.bundle import writer as bundle_writer
from streamdoctor.bundle.pseudonyms import default_path
from streamdoctor.cli import build_parser, main, run_check
from streamdoctor.model import Evidence, Finding, ProbeResult, Report, Status, report_from, to_jsonable

SCHEMA = json.loads((Path(bundle_writer.__file__).parents[1] / "data" / "report.schema.json").read_text())

# --- a real run -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def idle_reset_report() -> Report:
    """One full check against the lab's idle-reset profile (stream + idle tests), shared by the module."""
    out = io.StringIO()
    args = argparse.Namespace(lab="idle-reset", base_url=None, json=True, quick=False, model=None)
    code = run_check(args, out)
    assert code == 1
    return report_from(json.loads(out.getvalue()))


def unzip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return {name: z.read(name) for name in z.namelist()}


def cut_number(report: Report) -> str:
    idle = report.result("idle")
    assert idle is not None and idle.data["cut_s"] is not None
    return f"{idle.data['cut_s']:.1f} s"


def test_a_reader_with_only_the_zip_can_name_cause_number_and_change(idle_reset_report, tmp_path):
    paths.log_file().parent.mkdir(parents=True, exist_ok=True)
    with paths.log_file().open("a", encoding="utf-8") as f:  # what the app's logging would have written
        f.write("2026-01-01 INFO streamdoctor: check finished\n")
    zpath = write_bundle(idle_reset_report, tmp_path)
    files = unzip(zpath)
    page = files["report.html"].decode()
    summary = files["summary.txt"].decode()
    top = idle_reset_report.verdict.findings[0]
    assert top.cause == "idle-reset" and top.ask_it
    number = cut_number(idle_reset_report)
    for text in (page, summary):
        body = html.unescape(text)
        assert top.plain in body  # the cause in plain words
        assert number in body  # the measured number
        assert top.ask_it in body  # the change to ask for
        assert "600 s" in body
    # verdict first, then what IT should change, then the findings
    assert page.index(html.escape(top.plain)) < page.index("What to change on the network") < page.index("Findings")
    assert {"report.html", "summary.txt", "report.json", "report.schema.json", "requests.har", "manifest.json",
            "charts/idle-ladder.svg", "charts/stream-timeline.svg", "charts/bytes-over-time.svg"} <= set(files)
    assert any(n.startswith("logs/") for n in files) and any(n.startswith("raw/") for n in files)
    assert page.count("<svg") == 3 and "<script" not in page and " src=" not in page and "<link" not in page
    assert zpath.name.startswith("streamdoctor-") and zpath.name.endswith("Z.zip")
    assert zpath.stat().st_size < 2_000_000


def test_summary_text_is_the_redacted_summary(idle_reset_report):
    text = summary_text(idle_reset_report)
    assert text.startswith("Stream Doctor")
    assert "VERDICT: PROBLEM" in text and cut_number(idle_reset_report) in text


def test_manifest_hashes_every_file(idle_reset_report, tmp_path):
    import hashlib

    files = unzip(write_bundle(idle_reset_report, tmp_path))
    manifest = json.loads(files["manifest.json"])
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    # The versions that made the bundle: IT can tell which SDK and Qt measured it.
    assert manifest["build"]["packages"]["anthropic"] and manifest["build"]["packages"]["pyside6-essentials"]
    assert set(listed) == set(files) - {"manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest
    assert manifest["app_version"] and manifest["schema_version"] == 1


def test_report_json_validates_against_the_shipped_schema(idle_reset_report, tmp_path):
    files = unzip(write_bundle(idle_reset_report, tmp_path))
    schema = json.loads(files["report.schema.json"])
    assert schema == SCHEMA
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = json.loads(files["report.json"])
    jsonschema.Draft202012Validator(schema).validate(doc)
    report_from(doc)  # and it reads back into the model
    broken = copy.deepcopy(doc)
    broken["verdict"]["overall"] = "fine"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(broken)


def test_schema_names_exactly_the_model_fields():
    import dataclasses

    from streamdoctor import model

    for cls, definition in ((model.Report, SCHEMA), (model.ProbeResult, SCHEMA["$defs"]["ProbeResult"]),
                            (model.Finding, SCHEMA["$defs"]["Finding"]), (model.Verdict, SCHEMA["$defs"]["Verdict"]),
                            (model.Evidence, SCHEMA["$defs"]["Evidence"])):
        derived = {"matrix"} if cls is model.Report else set()  # written from the results, never read back
        assert set(definition["properties"]) - derived == {f.name for f in dataclasses.fields(cls)}, cls.__name__


# HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): the required fields of each object.
_NAME_VALUE = {"type": "object", "required": ["name", "value"],
               "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}
HAR_SCHEMA = {
    "type": "object", "required": ["log"],
    "properties": {"log": {
        "type": "object", "required": ["version", "creator", "entries"],
        "properties": {
            "version": {"const": "1.2"},
            "creator": {"type": "object", "required": ["name", "version"]},
            "pages": {"type": "array"},
            "entries": {"type": "array", "items": {
                "type": "object",
                "required": ["startedDateTime", "time", "request", "response", "cache", "timings"],
                "properties": {
                    "startedDateTime": {"type": "string",
                                        "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"},
                    "time": {"type": "number", "minimum": 0},
                    "request": {"type": "object", "required": ["method", "url", "httpVersion", "cookies", "headers",
                                                               "queryString", "headersSize", "bodySize"],
                                "properties": {"headers": {"type": "array", "items": _NAME_VALUE},
                                               "queryString": {"type": "array", "items": _NAME_VALUE},
                                               "cookies": {"type": "array"}}},
                    "response": {"type": "object", "required": ["status", "statusText", "httpVersion", "cookies",
                                                                "headers", "content", "redirectURL", "headersSize",
                                                                "bodySize"],
                                 "properties": {"status": {"type": "integer"},
                                                "headers": {"type": "array", "items": _NAME_VALUE},
                                                "content": {"type": "object", "required": ["size", "mimeType"],
                                                            "not": {"required": ["text"]}}}},
                    "cache": {"type": "object"},
                    "timings": {"type": "object", "required": ["send", "wait", "receive"],
                                "properties": {k: {"type": "number", "minimum": -1}
                                               for k in ("send", "wait", "receive", "blocked", "dns", "connect",
                                                         "ssl")}},
                },
            }},
        },
    }},
}


def test_har_is_valid_har_1_2(idle_reset_report, tmp_path):
    har = json.loads(unzip(write_bundle(idle_reset_report, tmp_path))["requests.har"])
    jsonschema.Draft202012Validator(HAR_SCHEMA).validate(har)
    exchanges = sum(len(r.data.get("exchanges", [])) for r in idle_reset_report.results)
    assert len(har["log"]["entries"]) == exchanges


# --- the leak test ---------------------------------------------------------------------------------------

USER = "zedleaktester"
KEY = "sk-ant-api03-PLANTEDk3y9f8e7d6c5b4a3-LeakLeakLeak"
AUTH_TOKEN = "planted-auth-token-7Hq2ZpL0w"
PROXY_USER, PROXY_PASS = "proxyuserQ7x", "Pr0xyPassW0rd42"
PROXY_URL = f"http://{PROXY_USER}:{PROXY_PASS}@proxy.corp.example.com:3128"
COOKIE = "PLANTEDc00kieValue1234"
BEARER = "PLANTEDbearer-eyJhbGciOi.abc123"
SERVICE_TOKEN = "plantedServiceTok_55aa77"  # only in the env and in free text: only the by-value layer knows it
BASIC = base64.b64encode(f"{PROXY_USER}:{PROXY_PASS}".encode()).decode()
HOME = f"/home/{USER}"
SECRETS = [KEY, AUTH_TOKEN, PROXY_USER, PROXY_PASS, COOKIE, BEARER, SERVICE_TOKEN, BASIC]


def plant_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_AUTH_TOKEN": AUTH_TOKEN, "HTTPS_PROXY": PROXY_URL,
                       "MY_SERVICE_TOKEN": SERVICE_TOKEN, "USER": USER, "LOGNAME": USER, "HOME": HOME}.items():
        monkeypatch.setenv(var, value)


def planted_report(real: Report) -> Report:
    """The real run, with secrets planted everywhere a probe, a rule or a log could put them."""
    report = copy.deepcopy(real)
    settings = json.dumps({"env": {"ANTHROPIC_AUTH_TOKEN": AUTH_TOKEN, "HTTPS_PROXY": PROXY_URL,
                                   "ANTHROPIC_CUSTOM_HEADERS": f"Authorization: Bearer {BEARER}"},
                           "apiKeyHelper": f"{HOME}/bin/get-key.sh"}, indent=2)
    env_dump = (f"ANTHROPIC_API_KEY={KEY}\nHTTPS_PROXY={PROXY_URL}\nHOME={HOME}\nMY_SERVICE_TOKEN={SERVICE_TOKEN}\n"
                f"PWD={HOME}/projects\n")
    clients = ProbeResult("env.clients", Status.OK, f"Claude Code 2.0.1 reads {HOME}/.claude/settings.json", data={
        "claude_code": {"installed": True, "version": "2.0.1", "settings_path": f"{HOME}/.claude/settings.json",
                        "env": {"ANTHROPIC_API_KEY": KEY, "HTTPS_PROXY": PROXY_URL}},
        "raw": {f"{HOME}/.claude/settings.json": settings, "env": env_dump},
    })
    proxy = ProbeResult("env.proxy", Status.WARN, f"proxy {PROXY_URL}", data={
        "system": {"proxy": PROXY_URL, "source": "env", "pac_url": None},
        "clients": {"python-sdk": {"proxy": PROXY_URL, "source": "HTTPS_PROXY"}},
        "raw": {"gsettings": f"org.gnome.system.proxy.https host 'proxy.corp.example.com'\nauth-password "
                             f"'{PROXY_PASS}'"},
    }, evidence=[Evidence("Proxy", PROXY_URL, "", f"Proxy-Authorization: Basic {BASIC}")],
        error=f"ConnectError via {PROXY_URL} with key {KEY} from {HOME}/x")
    report.results = [r for r in report.results if r.probe not in ("env.clients", "env.proxy")] + [clients, proxy]
    stream = report.result("stream")
    assert stream is not None
    stream.data["exchanges"] = [{
        "started": report.created_at, "time_ms": 51.5, "method": "POST",
        "url": f"https://api.anthropic.com/v1/messages?key={KEY}", "http_version": "HTTP/1.1", "status": 200,
        "request_headers": [["x-api-key", KEY], ["authorization", f"Bearer {BEARER}"], ["cookie", f"s={COOKIE}"],
                            ["proxy-authorization", f"Basic {BASIC}"], ["anthropic-version", "2023-06-01"]],
        "response_headers": [["set-cookie", f"s={COOKIE}; Path=/"], ["content-type", "text/event-stream"]],
    }]
    stream.summary += f" (token {SERVICE_TOKEN})"
    stream.evidence.append(Evidence("Client error", f"401 for x-api-key {KEY}", "", f"Cookie: s={COOKIE}"))
    report.verdict.findings.append(Finding(
        "test.planted", "planted", report.verdict.findings[0].severity, report.verdict.findings[0].confidence,
        "Planted", f"The proxy {PROXY_URL} refused {SERVICE_TOKEN}", ask_it=f"Check {HOME}/logs for {KEY}"))
    report.target = {**report.target, "base_url": f"https://{PROXY_USER}:{PROXY_PASS}@gateway.corp.example.com"}
    return report


def plant_log() -> None:
    log_file = paths.log_file()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("a", encoding="utf-8") as f:
        f.write(f"2026-01-01 DEBUG sdk: headers {{'x-api-key': '{KEY}', 'authorization': 'Bearer {BEARER}'}}\n")
        f.write(f"2026-01-01 INFO proxy: using {PROXY_URL} for {HOME}/.claude/settings.json\n")
        f.write(f"2026-01-01 DEBUG env: MY_SERVICE_TOKEN value {SERVICE_TOKEN}; Cookie: s={COOKIE}\n")


def forms(secret: str) -> set[bytes]:
    return {f.encode() for f in (secret, json.dumps(secret)[1:-1], html.escape(secret), quote(secret, safe=""))}


def assert_no_secret(files: dict[str, bytes], extra: list[str] = ()) -> None:
    for name, data in files.items():
        lower = data.lower()
        assert USER.encode() not in lower, f"the user name leaked in {name}"
        for secret in [*SECRETS, *extra]:
            for form in forms(secret):
                assert form not in data, f"{secret!r} leaked in {name}"


def test_no_planted_secret_survives_in_any_byte(idle_reset_report, tmp_path, monkeypatch):
    plant_environment(monkeypatch)
    plant_log()
    report = planted_report(idle_reset_report)
    zpath = write_bundle(report, tmp_path)
    files = unzip(zpath)
    assert_no_secret(files)
    assert_no_secret({"summary_text() for the clipboard": summary_text(report).encode()})
    assert not any(s in zpath.name for s in (*SECRETS, USER))
    assert any(name.startswith("raw/env.clients") for name in files)
    assert b"api.anthropic.com" in files["requests.har"]  # what is not secret stays useful
    har = json.loads(files["requests.har"])
    # Other probes POST to the lab too (the large-request MTU test); the planted exchange is the one to the API.
    (planted,) = [en for en in har["log"]["entries"]
                  if en["request"]["method"] == "POST" and "api.anthropic.com" in en["request"]["url"]]
    headers = {h["name"]: h["value"] for h in planted["request"]["headers"]}
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["proxy-authorization"].startswith("Basic [redacted")
    manifest = json.loads(files["manifest.json"])
    counts = manifest["redaction"]["counts"]
    for kind in ("api-key", "cookie", "url-credentials", "user-name", "secret-setting", "known-secret"):
        assert counts.get(kind, 0) > 0, (kind, counts)
    assert manifest["redaction"]["final_scan_removals"] == 0  # the first layer alone got everything
    assert "What was redacted" in files["report.html"].decode()
    assert "API keys" in files["summary.txt"].decode()
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(files["report.json"]))
    jsonschema.Draft202012Validator(HAR_SCHEMA).validate(har)


def test_pseudonymized_hosts_leave_the_mapping_on_the_laptop(idle_reset_report, tmp_path, monkeypatch):
    plant_environment(monkeypatch)
    report = planted_report(idle_reset_report)
    route = ProbeResult("env.interfaces", Status.OK, "via eth0 10.20.30.40, gateway 10.20.30.1", data={
        "route": {"interface": "eth0", "mtu": 1500, "gateway": "10.20.30.1", "local_address": "10.20.30.40"}})
    report.results.append(route)
    real_names = ["proxy.corp.example.com", "gateway.corp.example.com", "10.20.30.40", "10.20.30.1"]
    first = unzip(write_bundle(report, tmp_path / "a", pseudonymize_hosts=True))
    assert_no_secret(first, real_names)
    mapping = json.loads(default_path().read_text())
    assert mapping["hosts"]["proxy.corp.example.com"].endswith(".internal")
    assert mapping["ips"]["10.20.30.40"].startswith("ip-")
    assert not any("pseudonym" in name for name in first)
    pseudonym = mapping["hosts"]["proxy.corp.example.com"].encode()
    assert pseudonym in first["report.json"]
    second = unzip(write_bundle(report, tmp_path / "b", pseudonymize_hosts=True))
    assert pseudonym in second["report.json"]  # the same name gets the same pseudonym in every bundle


# --- the browser ---------------------------------------------------------------------------------------


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("chromium is not installed (scripts/bootstrap.sh test installs it)")
    return exe


def test_html_renders_in_headless_chromium(idle_reset_report, tmp_path):
    exe = chromium()
    files = unzip(write_bundle(idle_reset_report, tmp_path))
    page = tmp_path / "report.html"
    page.write_bytes(files["report.html"])
    shot = tmp_path / "report.png"
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    base = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
    run = subprocess.run([*base, "--window-size=1100,2600", f"--screenshot={shot}", page.as_uri()],
                         capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1100, 2600) and len(png) > 50_000  # a page with content, not a blank
    errors = [line for line in run.stderr.splitlines()
              if "CONSOLE" in line or "Uncaught" in line or "Refused to" in line or "ERR_" in line]
    assert not errors, errors
    dom = subprocess.run([*base, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=90)
    assert dom.returncode == 0
    assert "What to change on the network" in dom.stdout and dom.stdout.count("<svg") == 3
    print(f"screenshot: {shot}")


# --- where the zip goes ----------------------------------------------------------------------------------


def test_full_disk_gives_one_line_and_no_partial_zip(idle_reset_report, tmp_path, monkeypatch):
    def half_then_full(fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bundle_writer, "_write_all", half_then_full)
    with pytest.raises(BundleWriteError) as err:
        write_bundle(idle_reset_report, tmp_path)
    message = str(err.value)
    assert "not enough free space" in message and str(tmp_path) in message and "\n" not in message
    assert os.listdir(tmp_path) == []


def test_a_file_where_the_folder_should_be(idle_reset_report, tmp_path):
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    with pytest.raises(BundleWriteError, match="not a folder"):
        write_bundle(idle_reset_report, target)


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a small tmpfs (root only); yields a function (options) -> mount point."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a tmpfs")
    mounted: list[Path] = []

    def make(options: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True, timeout=10)
        mounted.append(point)
        return point

    yield make
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False, timeout=10)


@pytest.mark.netlab
def test_really_full_disk(idle_reset_report, tmpfs):
    point = tmpfs("size=12k")
    with pytest.raises(BundleWriteError, match="not enough free space"):
        write_bundle(idle_reset_report, point)
    assert os.listdir(point) == []


@pytest.mark.netlab
def test_read_only_folder(idle_reset_report, tmpfs):
    point = tmpfs("ro,size=64k")
    with pytest.raises(BundleWriteError, match="read-only") as err:
        write_bundle(idle_reset_report, point)
    assert "\n" not in str(err.value)
    assert os.listdir(point) == []


def test_folder_without_permission(idle_reset_report, tmp_path, monkeypatch):
    def denied(*a, **kw):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(bundle_writer.tempfile, "mkstemp", denied)
    with pytest.raises(BundleWriteError, match="permission denied"):
        write_bundle(idle_reset_report, tmp_path)
    assert os.listdir(tmp_path) == []


# --- the command line ------------------------------------------------------------------------------------


def test_cli_bundle_from_a_saved_report(idle_reset_report, tmp_path, capsys):
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(to_jsonable(idle_reset_report)))
    assert main(["bundle", "--from", str(saved), "--out", str(tmp_path / "out")]) == 0
    line = capsys.readouterr().out.strip()
    zpath = Path(line.split(": ", 1)[1])
    assert zpath.parent == tmp_path / "out" and zpath.exists()
    assert json.loads(unzip(zpath)["report.json"])["verdict"]["findings"][0]["cause"] == "idle-reset"


def test_cli_bundle_from_garbage_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["bundle", "--from", str(bad), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not a Stream Doctor report" in err and err.count("\n") == 1
    assert not list(tmp_path.glob("*.zip"))


def test_cli_check_with_bundle(tmp_path, capsys):
    args = build_parser().parse_args(
        ["check", "--lab", "clean", "--quick", "--json", "--bundle", str(tmp_path)])
    out = io.StringIO()
    code = run_check(args, out)
    assert code == 0
    json.loads(out.getvalue())  # stdout stays pure JSON; the bundle's path goes to stderr
    assert "Bundle for IT:" in capsys.readouterr().err
    (zpath,) = tmp_path.glob("streamdoctor-*.zip")
    assert json.loads(unzip(zpath)["report.json"])["verdict"]["overall"] == "healthy"
