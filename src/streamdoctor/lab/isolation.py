"""The lab stays on the laptop: its own key, no proxy, loopback only.

A lab run is a demo against a simulated API in this very process. The user's real ANTHROPIC_API_KEY has no
business there, and a configured company proxy (HTTP_PROXY/HTTPS_PROXY/ALL_PROXY, with its password) must never
see lab traffic: sending `CONNECT localhost:PORT` or a POST with the key to the proxy leaks both to the company's
logs (issue 14 item 1). Every place that builds a probe context for the lab asks here, so the rule is in one place.
"""

from __future__ import annotations

from ..i18n import _
from ..urls import is_loopback
from .server import LAB_API_KEY


def is_loopback_url(url: str) -> bool:
    """True when `url` names a loopback host (localhost, 127.0.0.0/8, ::1): the one test in urls.py."""
    return is_loopback(url)


def lab_key(key_from_user: str = "") -> str:
    """The key a lab run sends: always the lab's own, whatever the environment or the user typed."""
    del key_from_user  # deliberately ignored: the user's real key never goes to the lab
    return LAB_API_KEY


def lab_run(lab_profile: str, base_url: str) -> bool:
    """Whether a context is a lab run that must stay on loopback: a lab profile AND a loopback URL. A saved
    report claiming a lab profile for a remote URL is treated as a real run (no key swap, normal proxy rules)."""
    return bool(lab_profile) and is_loopback_url(base_url)


ALLOW_REMOTE_FLAG = "--allow-remote"


def is_loopback_host(host: str) -> bool:
    """Whether a listen address keeps the lab on this computer (localhost, 127.0.0.0/8, ::1)."""
    return is_loopback_url(f"http://{host if ':' not in host.strip('[]') else '[' + host.strip('[]') + ']'}/")


def exposure_warning(host: str, allowed: bool) -> str:
    """'' for a loopback address; otherwise the one line to print. Raises UserError (exit 2) unless `allowed`:
    a lab that listens beyond loopback serves anyone on the network (it accepts any key and answers as the API)."""
    if is_loopback_host(host):
        return ""
    if not allowed:
        from ..errors import UserError

        raise UserError(_("--host {host} would let other computers on the network use the lab; add {flag} if that "
                          "is what you want, or use --host 127.0.0.1", host=host, flag=ALLOW_REMOTE_FLAG))
    # TRANSLATORS: "streamdoctor: warning:" is the command's prefix: keep it as is
    return _("streamdoctor: warning: the lab listens on {host}: any computer that can reach this address can use it "
             "(Ctrl-C stops it)", host=host)
