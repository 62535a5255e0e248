"""The Results page shows the experiment matrix: each variable tried both ways, green/red with the number,
the variable that flips the outcome named in the table and in the headline; nothing varied, no table."""

from __future__ import annotations

from typing import Any

import pytest

from streamdoctor.gui.pages import PageId
from streamdoctor.gui.words import GREEN, RED
from streamdoctor.model import ProbeResult, Status

pytestmark = pytest.mark.gui

V4 = {"address": "10.0.0.2", "ok": True, "failed_step": None, "time_s": 0.05, "tcp": {"ok": True, "time_s": 0.012},
      "http": {"ok": True, "time_s": 0.018, "status": 401}}
V6 = {"address": "2001:db8::2", "ok": False, "failed_step": "tcp", "time_s": 5.0,
      "tcp": {"ok": False, "time_s": 5.0, "kind": "timeout"}}


def test_results_page_shows_the_matrix_and_names_the_flipping_variable(qtbot: Any, make_wizard: Any) -> None:
    wizard = make_wizard("clean")
    wizard.state.add_results([ProbeResult("matrix.family", Status.FAIL, "", {
        "host": "api.lab.test", "port": 8080, "families": {"ipv4": V4, "ipv6": V6}})])
    page = wizard.page(PageId.RESULTS)
    page.initializePage()
    table = page.matrix
    assert table.isVisibleTo(page) and table.rowCount() == 2
    cells = {table.item(r, 1).text().split(" ")[0]: r for r in range(table.rowCount())}
    v6, v4 = cells["IPv6"], cells["IPv4"]
    assert table.item(v6, 2).text() == "fails" and table.item(v6, 2).background().color() == RED
    assert table.item(v4, 2).text() == "works" and table.item(v4, 2).background().color() == GREEN
    assert "TCP timeout after 5.0 s" in table.item(v6, 3).text() and "ms" in table.item(v4, 3).text()
    assert table.item(v6, 0).text() == "address family (changes the outcome)"
    assert "What changes the outcome here: address family." in page.headline.text()
    assert page.cards[0].finding.cause == "ipv6-broken"


def test_no_matrix_table_when_nothing_was_varied(qtbot: Any, make_wizard: Any) -> None:
    wizard = make_wizard("clean")
    page = wizard.page(PageId.RESULTS)
    page.initializePage()
    assert page.matrix.rowCount() == 0 and not page.matrix.isVisibleTo(page)
