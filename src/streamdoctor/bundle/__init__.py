"""The diagnostic bundle for IT: redaction, the report (HTML with charts, JSON, text, HAR) and the zip writer.

    write_bundle(report, dest_dir, *, redact_user=True, pseudonymize_hosts=False) -> Path
    summary_text(report) -> str          (redacted: safe for the clipboard and a mailto: body)

No Qt here: the CLI, the GUI and the tests all call these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .redact import Redactor
    from .summary import summary_text
    from .writer import BundleWriteError, write_bundle

__all__ = ["BundleWriteError", "Redactor", "summary_text", "write_bundle"]

# Loaded on first use (PEP 562): every output the app prints is redacted through bundle.redact (safeout.py), and
# importing that must not pull in the report renderer, the charts and the zip writer (~90 ms) before the wizard's
# first window.
def __getattr__(name: str) -> Any:
    if name == "Redactor":
        from .redact import Redactor

        return Redactor
    if name == "summary_text":
        from .summary import summary_text

        return summary_text
    if name in ("BundleWriteError", "write_bundle"):
        from . import writer

        return getattr(writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
