"""Fuzz the two files the fixes edit: settings.json (through the real apply and undo) and nginx configurations
(the parser and patcher, on any bytes, Latin-1 included).

settings.json: any JSON, with a BOM, CRLF, odd indents, or bytes that are not JSON or not UTF-8 at all. Either
the fix applies (every other key kept, the env block merged, undo restores the exact bytes) or it refuses with
one line (a FixError) and the file is byte for byte what it was. Never a traceback, never a lost original.

nginx: any bytes decode losslessly (surrogateescape), the parser answers or raises NginxParseError, and a
generated configuration with a location proxying to the API (comments in Latin-1, random neighbours) is found
and patched without changing a byte outside that location.
"""

from __future__ import annotations

import json
import os
import string
import tempfile
from pathlib import Path

from fixreports import proxy_report
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from streamdoctor.errors import UserError
from streamdoctor.fixes import get_fix
from streamdoctor.fixes.journal import revert
from streamdoctor.fixes.nginx import conf_bytes
from streamdoctor.fixes.nginx_conf import (
    NginxParseError,
    find_api_locations,
    has_streaming_settings,
    parse,
    patch_location,
    streaming_directives,
)

COUNTS = {"settings": 0, "settings-refused": 0, "nginx-bytes": 0, "nginx-generated": 0}

json_scalars = st.none() | st.booleans() | st.integers(-10**9, 10**9) | st.floats(allow_nan=False) | st.text(
    max_size=12)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)
env_blocks = st.dictionaries(st.text(string.ascii_uppercase + "_", min_size=1, max_size=10), st.text(max_size=16),
                             max_size=4)


@st.composite
def settings_bytes(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["object", "object", "any-json", "text", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "text":
        return draw(st.text(max_size=120)).encode("utf-8")
    if kind == "any-json":
        obj = draw(json_values)
    else:
        obj = draw(st.dictionaries(st.text(max_size=8).filter(lambda k: k != "env"), json_values, max_size=5))
        env = draw(st.none() | env_blocks | json_scalars)
        if env is not None:
            obj["env"] = env
    text = json.dumps(obj, indent=draw(st.sampled_from([2, 4, "\t", None])), ensure_ascii=draw(st.booleans()))
    text += "\n" if draw(st.booleans()) else ""
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text.encode("utf-8")


REPORT = proxy_report()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(original=settings_bytes())
@example(original=b"\x0b")  # found by this test: str.strip() took a vertical tab for an empty file
def test_settings_json_apply_never_loses_the_original(original: bytes) -> None:
    COUNTS["settings"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        old = {k: os.environ.get(k) for k in ("STREAMDOCTOR_HOME", "CLAUDE_CONFIG_DIR")}
        os.environ["STREAMDOCTOR_HOME"] = f"{tmp}/home"
        os.environ["CLAUDE_CONFIG_DIR"] = f"{tmp}/claude"
        try:
            path = Path(tmp) / "claude" / "settings.json"
            path.parent.mkdir()
            path.write_bytes(original)
            try:
                record_id = get_fix("claude-code-proxy").apply(REPORT)
            except UserError as exc:  # refused: one line, nothing changed
                COUNTS["settings-refused"] += 1
                assert "\n" not in str(exc)
                assert path.read_bytes() == original
                return
            after = json.loads(path.read_bytes().decode("utf-8-sig"))
            assert after["env"]["HTTPS_PROXY"] == "http://proxy.corp.example:8080"
            before = json.loads(original.decode("utf-8-sig")) if original.strip(b"\xef\xbb\xbf \r\n\t") else {}
            assert {k: v for k, v in after.items() if k != "env"} == {k: v for k, v in before.items() if k != "env"}
            for key, value in (before.get("env") or {}).items():
                if key not in ("HTTPS_PROXY", "NO_PROXY"):
                    assert after["env"][key] == value
            revert(record_id)
            assert path.read_bytes() == original
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=300) | st.text(max_size=200).map(lambda t: t.encode("latin-1", "replace")))
def test_nginx_parser_on_any_bytes_answers_or_says_parse_error(data: bytes) -> None:
    COUNTS["nginx-bytes"] += 1
    text = data.decode("utf-8", "surrogateescape")
    assert conf_bytes(text) == data  # lossless: an edit never changes the bytes it does not touch
    try:
        parse(text)
        find_api_locations({"/etc/nginx/nginx.conf": text}, "https://gw.example:443")
    except NginxParseError:
        pass


LATIN1_WORDS = st.text(alphabet="abcdeéèüöäßçñ øå ", min_size=0, max_size=20)
simple_directives = st.sampled_from(["gzip on;", "proxy_buffering on;", "proxy_read_timeout 60s;",
                                     'add_header X-Note "a; b { c }";', "client_max_body_size 10m;",
                                     "proxy_set_header Host $host;", "keepalive_timeout 65;"])


@settings(max_examples=150, deadline=None)
@given(before=st.lists(simple_directives, max_size=4), inside=st.lists(simple_directives, max_size=4),
       comment=LATIN1_WORDS, crlf=st.booleans())
def test_generated_configs_with_latin1_are_found_and_patched_in_place(before: list[str], inside: list[str],
                                                                      comment: str, crlf: bool) -> None:
    COUNTS["nginx-generated"] += 1
    head = f"# {comment}\nhttp {{\n  " + "\n  ".join(before) + "\n  server {\n    listen 8443;\n"
    loc = "    location /v1/ {\n      # " + comment + "\n      " + "\n      ".join(inside) + \
        "\n      proxy_pass https://api.anthropic.com;\n    }\n"
    tail = "  }\n}\n"
    raw = (head + loc + tail).encode("latin-1")
    if crlf:
        raw = raw.replace(b"\n", b"\r\n")
    text = raw.decode("utf-8", "surrogateescape")
    (found,) = find_api_locations({"/etc/nginx/nginx.conf": text}, "https://gw.example:8443")
    patched = patch_location(text, found.location, streaming_directives(600))
    out = conf_bytes(patched)
    head_b = raw[:raw.index(b"    location")]
    assert out.startswith(head_b)  # everything before the location is untouched, byte for byte
    assert out.endswith(raw[raw.rindex(b"  }"):])
    (again,) = find_api_locations({"/etc/nginx/nginx.conf": patched}, "https://gw.example:8443")
    assert has_streaming_settings(again.location)


def test_fuzz_case_counts() -> None:
    print(f"\nfile fuzz cases: {COUNTS}")  # the numbers for the closing note
