"""resources/ holds the source assets; the package data generated from them is current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_generated_icon_module_matches_the_svg() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build_resources.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_top_level_reads_as_the_design_card_says() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    tops = {line.split("/", 1)[0] for line in tracked.splitlines() if "/" in line}
    assert {"src", "resources", "tests", "packaging"} <= tops
    assert not (ROOT / "src" / "streamdoctor" / "gui" / "resources" / "streamdoctor.svg").exists()
    assert (ROOT / "resources" / "icons" / "streamdoctor.svg").is_file()
