"""The watch loop against the in-process lab (no root needed): a box that resets silent connections after
3 s is caught by the held connection that outlives it, with the right ending and silence, while the shorter
hold keeps surviving; the run stops at its --max-events / --duration bound."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from streamdoctor.cancel import CancelToken
from streamdoctor.lab import LabRuntime, get_profile
from streamdoctor.watch.core import WatchConfig, Watcher
from streamdoctor.watch.store import Store


def _watch(profile: str, tmp_path: Path, **kw: object) -> tuple[list[dict[str, object]], object]:
    with LabRuntime(get_profile(profile)) as lab, Store(tmp_path / "w.sqlite3") as store:
        cfg = WatchConfig(base_url=lab.url, heartbeat_s=1.0, state_poll_s=1.0, connect_timeout_s=2.0,
                          response_timeout_s=2.0, wifi=False, processes=False, **kw)  # type: ignore[arg-type]
        summary = Watcher(cfg, store, CancelToken()).run()
        return [e.as_dict() for e in store.events()], summary


def test_idle_reset_is_caught_with_its_ending_and_silence(tmp_path: Path) -> None:
    events, summary = _watch("idle-reset", tmp_path, holds_s=[1.0, 6.0], duration_s=9.0)
    cuts = [e for e in events if e["kind"] == "cut"]
    assert cuts and all(c["ending"] == "reset" and c["rung"] == 1 and c["early"] for c in cuts)
    assert all(2.5 <= float(c["silence_s"]) <= 4.5 for c in cuts), cuts  # the lab cuts at 3 s of silence
    assert summary.cycles_ok >= 3  # type: ignore[attr-defined]  # the 1 s hold kept surviving
    assert [e["kind"] for e in events][0] == "start" and events[-1]["kind"] == "stop"


def test_clean_network_has_no_cut_and_max_events_bounds_the_run(tmp_path: Path) -> None:
    t0 = time.monotonic()
    events, _ = _watch("clean", tmp_path, holds_s=[1.0], duration_s=4.0)
    assert not [e for e in events if e["kind"] in ("cut", "outage")]
    assert time.monotonic() - t0 < 20
    (tmp_path / "drop").mkdir()
    events, _ = _watch("idle-drop", tmp_path / "drop", holds_s=[4.5], duration_s=60.0, max_events=2)
    assert [e["kind"] for e in events] == ["start", "cut", "stop"]
    assert events[-2]["ending"] == "drop"


def test_cancel_stops_the_watch_within_a_tick(tmp_path: Path) -> None:
    cancel = CancelToken()
    with LabRuntime(get_profile("clean")) as lab, Store(tmp_path / "w.sqlite3") as store:
        w = Watcher(WatchConfig(base_url=lab.url, holds_s=[30.0], wifi=False, processes=False), store, cancel)
        t = threading.Thread(target=w.run)
        t.start()
        time.sleep(1.0)
        cancel.cancel()
        t.join(5.0)
        assert not t.is_alive()


def test_export_writes_the_bundle_with_timeline_and_findings(tmp_path: Path, monkeypatch: object) -> None:
    import json
    import zipfile

    from streamdoctor.cli import main

    db = tmp_path / "w.sqlite3"
    with LabRuntime(get_profile("idle-reset")) as lab, Store(db) as store:
        cfg = WatchConfig(base_url=lab.url, holds_s=[5.0], heartbeat_s=1.0, duration_s=8.0, wifi=False,
                          processes=False, connect_timeout_s=2.0, response_timeout_s=2.0)
        Watcher(cfg, store, CancelToken()).run()
    out = tmp_path / "out"
    out.mkdir()
    assert main(["watch", "--db", str(db), "--export", str(out)]) == 0
    (zip_path,) = out.glob("*.zip")
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        assert "charts/watch-timeline.svg" in names
        svg = z.read("charts/watch-timeline.svg").decode()
        assert "Background watch" in svg and svg.count("✕") >= 2  # the cuts (and the legend's mark)
        html = z.read("report.html").decode()
        assert 'id="chart-watch-timeline"' in html
        report = json.loads(z.read("report.json"))
    rules = {f["rule"] for f in report["verdict"]["findings"]}
    assert "watch.correlations" in rules
    watch = next(r for r in report["results"] if r["probe"] == "watch")
    assert watch["data"]["analysis"]["endings"].get("reset", 0) >= 1


def test_with_a_key_a_short_real_stream_runs_now_and_then_and_its_cut_is_recorded(tmp_path: Path) -> None:
    from streamdoctor.lab import LAB_API_KEY

    events, _ = _watch("midstream-reset", tmp_path, holds_s=[60.0], duration_s=20.0, stream_every_s=1.0,
                       stream_max_tokens=2000,  # the lab resets 4 KB into the answer
                       api_key=LAB_API_KEY)
    streams = [e for e in events if e["kind"] == "stream"]
    assert streams and streams[0]["outcome"] == "reset" and streams[0]["ending"] == "reset", events
    assert not [e for e in events if e["kind"] == "cut"]  # the held connection was fine all along
    (tmp_path / "clean").mkdir()
    events, w = _watch("clean", tmp_path / "clean", holds_s=[60.0], duration_s=6.0, stream_every_s=2.0,
                       api_key=LAB_API_KEY)
    assert not [e for e in events if e["kind"] == "stream"]
