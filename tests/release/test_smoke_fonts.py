"""The smoke test's CJK font check (packaging/smoke_test.py check_cjk_fonts), on stand-in builds.

The real check runs on the frozen build in `make test`; these make sure it fails when a font is missing from the
build or when the app does not say it registered the font, so a check that could never fail is noticed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support.repo_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
smoke = load_script("packaging/smoke_test.py", "smoke_test_fonts")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the stand-in build is a Linux onedir")

# What gui/fonts.py logs when Qt has read the font; the stand-in writes it only when told to.
LOG_LINE = 'echo "INFO streamdoctor.gui.fonts: bundled font registered for $STREAMDOCTOR_LANG: [\'$FAMILY\']"'


def _stand_in_build(tmp_path: Path, body: str, fonts: tuple[str, ...] = ("ja", "zh_CN")) -> Path:
    top = tmp_path / "streamdoctor"
    font_dir = top / "_internal" / "streamdoctor" / "fonts"
    font_dir.mkdir(parents=True)
    for lang in fonts:
        (font_dir / smoke.CJK_FONTS[lang][0]).write_bytes(b"OTTO" + b"\0" * 100)
    exe = top / "streamdoctor"
    exe.write_text("#!/bin/sh\n" + body + "\n", encoding="ascii")
    exe.chmod(0o755)
    return exe


LOGGING_APP = (
    'case "$STREAMDOCTOR_LANG" in ja) FAMILY="StreamDoctor CJK JP";; zh_CN) FAMILY="StreamDoctor CJK SC";; esac\n'
    'mkdir -p "$STREAMDOCTOR_HOME/logs"\n'
    f'{LOG_LINE} >> "$STREAMDOCTOR_HOME/logs/streamdoctor.log"\n'
    'echo "first-paint 1.0"'
)


def test_font_check_passes_a_build_that_bundles_and_registers_both_fonts(tmp_path: Path) -> None:
    outcomes = smoke.check_cjk_fonts(_stand_in_build(tmp_path, LOGGING_APP), "stand-in")
    assert [o.ok for o in outcomes] == [True, True], [o.detail for o in outcomes]
    assert "_internal/streamdoctor/fonts/StreamDoctorCJK-JP.otf" in outcomes[0].detail


def test_font_check_fails_when_a_font_is_not_in_the_build(tmp_path: Path) -> None:
    outcomes = smoke.check_cjk_fonts(_stand_in_build(tmp_path, LOGGING_APP, fonts=("ja",)), "stand-in")
    assert [o.ok for o in outcomes] == [True, False]
    assert "StreamDoctorCJK-SC.otf is not in" in outcomes[1].detail


def test_font_check_fails_when_the_app_does_not_register_the_font(tmp_path: Path) -> None:
    outcomes = smoke.check_cjk_fonts(_stand_in_build(tmp_path, 'echo "first-paint 1.0"'), "stand-in")
    assert not any(o.ok for o in outcomes)
    assert "did not log that it registered 'StreamDoctor CJK JP'" in outcomes[0].detail


def test_font_check_fails_when_the_wrong_family_is_registered(tmp_path: Path) -> None:
    wrong = LOGGING_APP.replace('ja) FAMILY="StreamDoctor CJK JP"', 'ja) FAMILY="StreamDoctor CJK SC"')
    outcomes = smoke.check_cjk_fonts(_stand_in_build(tmp_path, wrong), "stand-in")
    assert [o.ok for o in outcomes] == [False, True]
