"""Probes measure any server; the lab is only one of them. No probe module may import the lab (issue 14's
structural rule): the shared wire format and names live in streamdoctor.protocol."""

from __future__ import annotations

import ast
from pathlib import Path

import streamdoctor

PROBES = Path(streamdoctor.__file__).parent / "probes"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_probe_imports_the_lab():
    offenders = {}
    for path in sorted(PROBES.glob("*.py")):
        bad = {n for n in _imports(path) if n.startswith("..lab") or n.startswith("streamdoctor.lab")}
        if bad:
            offenders[path.name] = bad
    assert offenders == {}
    assert len(list(PROBES.glob("*.py"))) > 10  # the walk really saw the probes


def test_lab_and_probes_share_one_parser_and_names():
    from streamdoctor.lab import server
    from streamdoctor.probes import idle, stream
    from streamdoctor.protocol import constants, sse

    assert stream.SSEParser is sse.SSEParser
    assert server.sse is sse
    assert idle.LAB_MARKER_HEADER == server.LAB_MARKER_HEADER == constants.LAB_MARKER_HEADER
