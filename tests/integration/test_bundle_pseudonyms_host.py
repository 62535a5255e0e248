"""Issue 14 item 10 (bundle): --pseudonymize-hosts covers this computer's own name everywhere (also inside file
names like "streamdoctor-HOST-....zip" in the bundled log) and private IPv6 in any valid form.

Real: the product runs in a UTS namespace with a host name of the test's choosing, makes a bundle without
pseudonyms (so its log says "bundle written: streamdoctor-NAME-..."), then one with --pseudonymize-hosts;
every file of that zip is searched for the name and the addresses.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from fixreports import report  # noqa: E402

from streamdoctor.model import to_jsonable  # noqa: E402

HOSTS = ["wks4711q", "wk7"]
V6 = ["fd12:3456:789a::23", "fd12:3456:789a:0:0:0:0:24", "FD12:3456:789A::25", "fe80::1c2b:3cff:fe4d:5e6f%eth0",
      "fd00::1"]


def _forms(addr: str) -> set[str]:
    ip = ipaddress.ip_address(addr.split("%")[0])
    return {addr.split("%")[0].lower(), ip.compressed, ip.exploded}


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root for a UTS namespace")
@pytest.mark.parametrize("host", HOSTS)  # a short name too: the final byte scan ignores values under 4 chars
def test_pseudonymized_bundle_holds_neither_the_host_name_nor_private_ipv6(tmp_path: Path, host: str) -> None:
    rep = report({"env.interfaces": {"addresses": V6, "note": f"route via [{V6[0]}]:443 and {V6[1]}"}})
    rep_path = tmp_path / "report.json"
    rep_path.write_text(json.dumps(to_jsonable(rep)))
    env = {**os.environ, "STREAMDOCTOR_HOME": str(tmp_path / "home")}

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        script = f"hostname {host} && exec {sys.executable} -m streamdoctor bundle --from {rep_path} " + " ".join(argv)
        return subprocess.run(["unshare", "--uts", "sh", "-c", script], env=env, capture_output=True, text=True,
                              timeout=120)

    plain = run("--out", str(tmp_path / "plain"))
    assert plain.returncode == 0, plain.stderr
    assert any(host in p.name for p in (tmp_path / "plain").glob("*.zip"))  # the name is really there to find
    pseudo = run("--out", str(tmp_path / "pseudo"), "--pseudonymize-hosts")
    assert pseudo.returncode == 0, pseudo.stderr
    (zip_path,) = (tmp_path / "pseudo").glob("*.zip")
    assert host not in zip_path.name
    leaks = []
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        assert any("log" in n for n in names), names  # the log (with "bundle written: ...") is in the bundle
        log = z.read("logs/streamdoctor.log").decode()
        assert "bundle written: streamdoctor-host" in log  # a pseudonym, not a redaction mark or the name
        for name in names:
            text = z.read(name).decode("utf-8", "replace").lower()
            if re.search(rf"(?<![a-z0-9]){host}(?![a-z0-9])", text):
                leaks.append((name, "host"))
            for addr in V6:
                for form in _forms(addr):
                    if form in text:
                        leaks.append((name, form))
    assert not leaks, leaks
