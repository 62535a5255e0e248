"""The diagnostic bundle for IT: redaction, the report (HTML with charts, JSON, text, HAR) and the zip writer.

    write_bundle(report, dest_dir, *, redact_user=True, pseudonymize_hosts=False) -> Path
    summary_text(report) -> str          (redacted: safe for the clipboard and a mailto: body)

No Qt here: the CLI, the GUI and the tests all call these.
"""

from .redact import Redactor
from .summary import summary_text
from .writer import BundleWriteError, write_bundle

__all__ = ["BundleWriteError", "Redactor", "summary_text", "write_bundle"]
