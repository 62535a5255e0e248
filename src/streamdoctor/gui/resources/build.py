"""Regenerate icon_data.py from streamdoctor.svg: `python -m streamdoctor.gui.resources.build`.

The SVG is the source; the app loads PNG bytes compiled into icon_data.py (no file lookup, no image plugin)."""

from __future__ import annotations

import base64
import os
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = (48, 128)


def render_png(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication([])  # noqa: F841 (QImage/QSvgRenderer need an application object)
    lines = ['"""The app icon as PNG bytes, compiled into the package. Generated from streamdoctor.svg by',
             "`python -m streamdoctor.gui.resources.build`; do not edit by hand.", "", "Embedded bytes load the same "
             "from source, a wheel or a frozen bundle, and PNG needs no Qt image plugin", '(fast start-up)."""', "",
             "ICON_PNG = {"]
    for size in SIZES:
        encoded = base64.b64encode(render_png(HERE / "streamdoctor.svg", size)).decode()
        lines.append(f"    {size}: (")
        lines += [f'        "{chunk}"' for chunk in textwrap.wrap(encoded, 100)]
        lines.append("    ),")
    lines.append("}")
    (HERE / "icon_data.py").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
