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
    events, _ = _watch("idle-drop", tmp_path, holds_s=[4.5], duration_s=60.0, max_events=2)
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
