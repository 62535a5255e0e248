"""The user's own clients as drivers, for real against the loopback lab: the Node SDK (from npm) with this
machine's node, and curl, each streaming one answer; their events timed, a refused key reported in the
client's own words with its exit code. (Claude Code runs in the netlab, sealed in a namespace.)"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamdoctor.cancel import CancelToken
from streamdoctor.lab import LabRuntime, get_profile
from streamdoctor.probes import ProbeContext
from streamdoctor.probes.matrix.clients import _curl, _node_sdk

NODE_SDK_SPEC = "@anthropic-ai/sdk@1.14.0"  # the registry's current version when this was written
LAB_KEY = "sk-ant-lab-demo"


@pytest.fixture(scope="module")
def lab() -> Iterator[str]:
    with LabRuntime(get_profile("clean")) as runtime:
        yield runtime.url


@pytest.fixture(scope="module")
def node_sdk() -> dict[str, str]:
    from support.npm_clients import NpmInstallError, install_npm_package

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    try:
        prefix = install_npm_package(NODE_SDK_SPEC)
    except NpmInstallError as exc:
        pytest.skip(f"{NODE_SDK_SPEC} could not be installed: {exc}")
    return {"node": node, "installed": True, "path": str(Path(prefix) / "node_modules" / "@anthropic-ai" / "sdk"),
            "version": NODE_SDK_SPEC.rsplit("@", 1)[1]}


def test_node_sdk_streams_from_the_lab_with_timed_events(lab: str, node_sdk: dict[str, str]) -> None:
    ctx = ProbeContext(base_url=lab, api_key=LAB_KEY, model="claude-sonnet-5-5")
    out = _node_sdk(ctx, {"node_sdk": node_sdk}, 60, CancelToken())
    assert out["outcome"] == "ok" and out["complete"] and out["exit_code"] == 0, out
    assert out["events"] >= 3 and out["first_event_s"] is not None and out["first_event_s"] <= out["time_s"]


def test_node_sdk_refused_key_is_reported_in_its_own_words(lab: str, node_sdk: dict[str, str]) -> None:
    ctx = ProbeContext(base_url=lab, api_key="sk-ant-lab-refused", model="claude-sonnet-5-5")
    out = _node_sdk(ctx, {"node_sdk": node_sdk}, 60, CancelToken())
    assert out["outcome"] == "failed" and out["exit_code"] == 1, out
    assert "401" in out["error"] or "authentication" in out["error"].lower(), out["error"]


def test_node_sdk_without_a_key_is_not_run(lab: str, node_sdk: dict[str, str]) -> None:
    out = _node_sdk(ProbeContext(base_url=lab), {"node_sdk": node_sdk}, 60, CancelToken())
    assert out["outcome"] == "not-run" and "API key" in out["why"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_streams_and_keeps_the_key_off_its_command_line(lab: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import streamdoctor.probes.matrix.clients as clients

    seen: list[list[str]] = []
    real = clients.run_driver

    def spy(argv, env, timeout_s, cancel, stdin_text=None):  # type: ignore[no-untyped-def]
        seen.append(list(argv))
        return real(argv, env, timeout_s, cancel, stdin_text=stdin_text)

    monkeypatch.setattr(clients, "run_driver", spy)
    out = _curl(ProbeContext(base_url=lab, api_key=LAB_KEY), {}, 30, CancelToken())
    assert out["outcome"] == "ok" and out["http_status"] == "200" and out["events"] >= 3, out
    assert LAB_KEY not in " ".join(seen[0])
    refused = _curl(ProbeContext(base_url=lab, api_key="sk-ant-lab-refused"), {}, 30, CancelToken())
    assert refused["outcome"] == "failed" and refused["http_status"] == "401", refused
