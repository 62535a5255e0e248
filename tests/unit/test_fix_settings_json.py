"""settings.json merges on real-world shapes: every other key kept, formatting kept, unreadable files refused."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamdoctor.fixes.settings_json import (
    SettingsUnreadableError,
    detect_indent,
    env_of,
    merge_env,
    parse_settings,
)

UPDATES = {"HTTPS_PROXY": "http://proxy.corp.example:8080", "NO_PROXY": "localhost,127.0.0.1,::1"}

json_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
env_blocks = st.dictionaries(st.text(string.ascii_uppercase + "_", min_size=1, max_size=12),
                             st.text(max_size=20), max_size=5)
settings_objects = st.dictionaries(st.text(max_size=10).filter(lambda k: k != "env"), json_values, max_size=6)


@settings(max_examples=200, deadline=None)
@given(obj=settings_objects, env=st.none() | env_blocks, indent=st.sampled_from([2, 4, "\t", None]),
       crlf=st.booleans(), bom=st.booleans(), newline=st.booleans())
def test_merge_keeps_every_other_key_and_the_layout(obj, env, indent, crlf, bom, newline):
    if env is not None:
        obj = {**obj, "env": env}
    text = json.dumps(obj, indent=indent, ensure_ascii=False) + ("\n" if newline else "")
    if crlf:
        text = text.replace("\n", "\r\n")
    if bom:
        text = "\ufeff" + text
    out = merge_env(text, UPDATES)
    merged = parse_settings(out)
    assert {k: v for k, v in merged.items() if k != "env"} == {k: v for k, v in obj.items() if k != "env"}
    assert merged["env"] == {**(env or {}), **UPDATES}
    assert list(merged["env"])[:len(env or {})] == list(env or {})  # existing keys keep their order
    assert out.startswith("\ufeff") == bom
    assert ("\r\n" in out) == ("\r\n" in text)
    if "\n" in text.strip("\r\n\ufeff"):
        assert detect_indent(out) == detect_indent(text)
    assert merge_env(out, UPDATES) == out  # idempotent: applying twice changes nothing more


@pytest.mark.parametrize("text", [
    '{\n  // my proxy\n  "env": {}\n}\n',
    '{\n  "env": {"A": "1",},\n}\n',
    '{"env": {"A": "1"}',
    "[1, 2]",
    '{"env": "HTTPS_PROXY=x"}',
    "not json at all",
])
def test_unreadable_or_odd_files_are_refused_with_one_line(text):
    with pytest.raises(SettingsUnreadableError) as err:
        merge_env(text, UPDATES)
    assert "\n" not in str(err.value)
    if "//" in text or ",}" in text.replace("\n", ""):
        assert "comments and trailing commas are not JSON" in str(err.value)


@pytest.mark.parametrize("text", ["", "\n", "   \n"])
def test_an_empty_file_becomes_a_small_settings_file(text):
    out = merge_env(text, UPDATES)
    assert json.loads(out) == {"env": UPDATES}
    assert out.endswith("\n")


def test_real_world_shape_keeps_unicode_nested_and_other_keys():
    text = ('{\n    "permissions": {\n        "allow": ["Bash(npm run test:*)"],\n        "deny": []\n    },\n'
            '    "model": "opus",\n    "statusLine": {"type": "command", "command": "echo 🚀 Grüße"},\n'
            '    "env": {\n        "API_TIMEOUT_MS": "120000"\n    }\n}')
    out = merge_env(text, {"API_TIMEOUT_MS": "600000"})
    assert '"command": "echo 🚀 Grüße"' in out  # raw unicode stays raw
    assert out.startswith('{\n    "permissions"')  # 4-space indent kept
    assert not out.endswith("\n")  # no trailing newline added where there was none
    assert env_of(out) == {"API_TIMEOUT_MS": "600000"}


def test_none_removes_a_key_and_ascii_escapes_are_kept():
    text = '{"env": {"A": "caf\\u00e9", "B": "x"}}'
    out = merge_env(text, {"B": None})
    assert out == '{"env": {"A": "caf\\u00e9"}}'
