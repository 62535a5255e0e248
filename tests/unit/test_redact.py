"""The Redactor: each kind of secret goes, ordinary text stays, structures are walked by name, the final byte
scan catches what the patterns cannot know, and pseudonyms are consistent and stay on the laptop."""

import base64
import json

import pytest

from streamdoctor.bundle.pseudonyms import PseudonymMap
from streamdoctor.bundle.redact import Redactor, is_secret_name

KEY = "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5-Po4Nm3Lk2"
ENV = {
    "ANTHROPIC_API_KEY": KEY,
    "HTTPS_PROXY": "http://proxyagent:S3cretProxyPw@proxy.acme.corp:3128",
    "MY_SERVICE_TOKEN": "opaque-value-4242",
    "PATH": "/usr/bin:/home/alicia/bin",
}


def redactor(**kw) -> Redactor:
    kw.setdefault("environ", ENV)
    kw.setdefault("user_name", "alicia")
    kw.setdefault("home", "/home/alicia")
    return Redactor(**kw)


@pytest.mark.parametrize("text, secret, kind", [
    (f"key is {KEY.replace('Zx9', 'Qq1')} ok", "sk-ant-api03-Qq1", "api-key"),
    ('curl -H "x-api-key: abcdef123456" https://api.anthropic.com', "abcdef123456", "api-key"),
    ("Authorization: Bearer eyJhbGciOiJI.payload.sig", "eyJhbGciOiJI", "auth-header"),
    ("[('proxy-authorization', 'Basic dXNlcjpodW50ZXIy')]", "dXNlcjpodW50ZXIy", "auth-header"),
    ("Cookie: session=deadbeefcafe; theme=dark", "deadbeefcafe", "cookie"),
    ("set-cookie: sid=0123456789abc; Path=/", "0123456789abc", "cookie"),
    ("proxy http://bob:hunter2pw@proxy.example.net:8080 refused", "hunter2pw", "url-credentials"),
    ("socks5h://u%40corp:p%3Ass@10.1.1.1:1080", "p%3Ass", "url-credentials"),
    ("token Bearer abcDEF123456789 in a sentence", "abcDEF123456789", "token"),
    ("export ANTHROPIC_AUTH_TOKEN=tok-9876543210", "tok-9876543210", "secret-setting"),
    ('{"apiKey": "k-55555555", "password": "pw-66666666"}', "k-55555555", "secret-setting"),
    ("GET /v1/x?api_key=qs-secret-77&b=2", "qs-secret-77", "url-secret"),
    ("contact alicia.smith@acme.example for access", "alicia.smith@acme.example", "email"),
])
def test_each_kind_is_removed_and_counted(text, secret, kind):
    r = redactor(environ={})
    out = r.text(text)
    assert secret not in out
    assert r.counts[kind] >= 1, (out, dict(r.counts))


def test_auth_scheme_stays_so_it_can_see_basic_vs_negotiate():
    r = redactor(environ={})
    assert r.text("Proxy-Authorization: Negotiate YIIGhgYGKwYBBQUCoII=") == \
        "Proxy-Authorization: Negotiate [redacted:auth-header]"


@pytest.mark.parametrize("text", [
    "max_tokens=1024 text_events=3 tokens_per_s=4.5",
    "Basic authentication required by the proxy",
    "The root certificate is issued by Zscaler Root CA",
    "Silent connections are reset after 2.8 s; raise the idle timeout to 600 s",
    "https://api.anthropic.com/v1/messages",
    "secret-setting and api-key are the words we use",
])
def test_ordinary_text_is_left_alone(text):
    r = redactor()
    assert r.text(text) == text
    assert not r.counts


def test_user_name_only_as_a_path_component():
    r = redactor()
    out = r.text(r"/home/alicia/.claude and C:\Users\ALICIA\AppData and ~alicia, but aliciana and /srv/aliciax")
    assert out == r"/home/[user]/.claude and C:\Users\[user]\AppData and ~[user], but aliciana and /srv/aliciax"
    assert r.counts["user-name"] == 3


def test_user_name_kept_when_asked():
    r = redactor(redact_user=False)
    assert r.text("/home/alicia/x") == "/home/alicia/x"


def test_structures_are_walked_by_name():
    r = redactor(environ={})
    data = {
        "request_headers": [["x-api-key", "plain-looking-value"], ["Authorization", "Bearer tok.tok.tok"],
                            ["content-type", "application/json"]],
        "env": {"ANTHROPIC_AUTH_TOKEN": "nothing-pattern-like", "HTTPS_PROXY": "http://u1:pw12345@h:1"},
        "counts": {"tokens": 3, "max_tokens": 5},
        "samples": [[0.1, 20, "ping"]],
    }
    out = r.obj(data)
    text = json.dumps(out)
    for gone in ("plain-looking-value", "tok.tok.tok", "nothing-pattern-like", "pw12345"):
        assert gone not in text
    assert out["request_headers"][2] == ["content-type", "application/json"]
    assert out["counts"] == {"tokens": 3, "max_tokens": 5}
    assert out["samples"] == [[0.1, 20, "ping"]]


def test_secrets_known_by_value_are_removed_wherever_they_appear():
    r = redactor()
    assert "opaque-value-4242" not in r.text("the service said opaque-value-4242 back")
    assert "S3cretProxyPw" not in r.text("password S3cretProxyPw was refused")
    assert r.counts["known-secret"] == 2


def test_final_byte_scan_catches_escaped_forms_and_basic_auth():
    r = redactor()
    basic = base64.b64encode(b"proxyagent:S3cretProxyPw")
    data = (b'{"x": "' + json.dumps("S3cretProxyPw").encode()[1:-1] + b'", "y": "' + basic
            + b'", "p": "C:\\\\Users\\\\alicia\\\\x"}')
    out, n = r.scrub_bytes(data)
    assert b"S3cretProxyPw" not in out and basic not in out and b"alicia" not in out
    assert n == 3
    json.loads(out)  # placeholders never break the file they land in


def test_redaction_is_idempotent():
    r = redactor()
    once = r.text(f"Authorization: Bearer abc.def.123456 {KEY} http://u:pw123456@h/")
    counts = dict(r.counts)
    assert r.text(once) == once
    assert dict(r.counts) == counts


def test_secret_names():
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "GITHUB_TOKEN", "x-api-key", "Cookie", "password",
                 "client_secret", "ANTHROPIC_CUSTOM_HEADERS", "openai_api_key"):
        assert is_secret_name(name), name
    for name in ("max_tokens", "tokens", "text_events", "request_id", "api_error", "HTTPS_PROXY", "content-type"):
        assert not is_secret_name(name), name


def test_pseudonyms_are_consistent_and_persisted(tmp_path):
    path = tmp_path / "map.json"
    pm = PseudonymMap.load(path)
    r = redactor(pseudonymize_hosts=True, pseudonyms=pm)
    out = r.text("via proxy.acme.corp (10.20.30.40) and wpad.acme.corp, again proxy.acme.corp; "
                 "8.8.8.8 api.anthropic.com")
    assert "acme" not in out and "10.20.30.40" not in out
    assert out.count("host1.internal") == 2
    assert "8.8.8.8" in out and "api.anthropic.com" in out
    pm.save(path)
    assert path.stat().st_mode & 0o077 == 0  # owner-only: the way back to real names is private
    again = redactor(pseudonymize_hosts=True, pseudonyms=PseudonymMap.load(path))
    assert again.text("10.20.30.40 proxy.acme.corp") == out.split("(")[1].split(")")[0] + " host1.internal"
    assert "proxy.acme.corp" in r.pseudonyms.used_real_names()
