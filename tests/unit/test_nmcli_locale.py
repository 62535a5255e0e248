"""nmcli translates its 'yes' ('oui' in a French session, regolith-linux/regolith-i3xrocks-config#24, confirmed
by that project's maintainer), so every reader of nmcli must run it untranslated: otherwise a French or German
laptop never has a Wi-Fi name and its phone hotspot is never metered. The stand-in nmcli below answers the way
that report describes: translated unless the C locale is asked for. It checks what reaches the child process,
which a parser test cannot."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from streamdoctor.platform import wifi
from streamdoctor.probes.matrix import metered

FAKE_NMCLI = """#!/bin/sh
case "${LC_ALL:-${LC_MESSAGES:-$LANG}}" in
  C|C.*|POSIX) yes=yes; no=no; guessed=guessed ;;
  *) yes=oui; no=non; guessed="deviné" ;;
esac
case "$*" in
  *METERED*) echo "GENERAL.DEVICE:wlp1s0"; echo "GENERAL.METERED:$yes ($guessed)" ;;
  *) echo "$no:Voisin"; echo "$yes:Bureau" ;;
esac
"""


def _french_session_with_fake_nmcli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nmcli = tmp_path / "nmcli"
    nmcli.write_text(FAKE_NMCLI)
    nmcli.chmod(nmcli.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    monkeypatch.setenv("LANGUAGE", "fr_FR:fr")
    monkeypatch.delenv("LC_ALL", raising=False)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="nmcli is the Linux path of wifi_name()")
def test_wifi_name_reads_nmcli_untranslated_in_a_french_session(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _french_session_with_fake_nmcli(tmp_path, monkeypatch)
    assert wifi.parse_nmcli_active("non:Voisin\noui:Bureau\n") is None  # what a translated nmcli gives the parser
    assert wifi.wifi_name() == "Bureau"
    assert os.environ["LANG"] == "fr_FR.UTF-8" and "LC_ALL" not in os.environ  # only the child's locale changed


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="NetworkManager is the Linux reader of metered()")
def test_metered_reads_nmcli_untranslated_in_a_french_session(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _french_session_with_fake_nmcli(tmp_path, monkeypatch)
    assert metered.parse_nmcli_metered("GENERAL.DEVICE:wlp1s0\nGENERAL.METERED:oui (deviné)\n", "wlp1s0") is None
    answer = metered.metered("wlp1s0")
    assert answer.metered is True, answer.raw
