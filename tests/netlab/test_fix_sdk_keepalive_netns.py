"""The generated client's keepalive against a real stateful firewall (conntrack forgets flows silent for 2 s,
then answers with RST): the answer, silent for 3 s while the model thinks, survives only with keepalive below
the cut. The generated code runs in the client namespace with the real SDK, exactly as a user would run it."""

from __future__ import annotations

import json
import math
import sys

import pytest

from streamdoctor.fixes.sdk_snippet import SnippetParams, render_python

pytestmark = [pytest.mark.netlab, pytest.mark.slow]

CUT_S, THINK_S = 2, 3

RUN = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import anthropic
from streamdoctor_client import make_client
client = make_client(base_url=sys.argv[2], api_key="sk-ant-lab-demo", max_retries=0,
                     timeout=anthropic.Timeout(THINK + 1.5, connect=5))  # a hang ends soon after the think
t0 = time.monotonic()
try:
    with client.messages.stream(model="claude-sonnet-5-5", max_tokens=20,
                                messages=[{"role": "user", "content": "hi"}]) as s:
        text = "".join(s.text_stream)
    print(json.dumps({"ok": True, "words": len(text.split()), "s": time.monotonic() - t0}))
except Exception as exc:
    print(json.dumps({"ok": False, "error": type(exc).__name__, "s": time.monotonic() - t0}))
""".replace("THINK", str(THINK_S))


def _run(sc, keepalive: int | None) -> dict:
    folder = sc.workdir / f"client-{keepalive}"
    folder.mkdir()
    (folder / "streamdoctor_client.py").write_text(render_python(SnippetParams(keepalive_idle_s=keepalive)))
    (folder / "run.py").write_text(RUN)
    proc = sc.run_client([sys.executable, str(folder / "run.py"), str(folder), sc.api_url], timeout=60)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_keepalive_below_the_cut_keeps_a_silent_stream_alive(netlab_firewall):
    sc = netlab_firewall(idle_s=CUT_S, mode="reset", think_s=THINK_S)
    keepalive = max(1, math.floor(CUT_S / 2))  # what snippet_params() picks for a RST cut of CUT_S
    with_ka = _run(sc, keepalive)
    assert with_ka["ok"] and with_ka["words"] == 20, with_ka
    without = _run(sc, None)  # the SDK's own keepalive starts only after 60 s of silence
    assert not without["ok"], without
    print(f"\nfirewall cut {CUT_S} s, think {THINK_S} s: keepalive {keepalive} s -> completed in {with_ka['s']:.1f} s; "
          f"SDK default -> {without['error']} after {without['s']:.1f} s")
