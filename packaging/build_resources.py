"""Turn the source assets in resources/ into package data: `python packaging/build_resources.py [--check]`.

Why at build time: resources/ holds what people edit (the SVG icon; translations are coming), the package holds
what the app loads. The icon becomes PNG bytes in a Python module (src/streamdoctor/gui/resources/icon_data.py,
not in git): embedded bytes load the same from source, a wheel or a frozen bundle (no _MEIPASS path juggling),
and PNG needs no Qt image plugin before the first window is painted. Run by scripts/bootstrap.sh (so `make run`,
`make test` and `make dist` always have it) and by the release workflow before PyInstaller; packaging/make_icons.py
draws the installers' icons from the same SVG.

`--check` exits 1 when the generated module is missing or differs from what the resources make now.
"""

from __future__ import annotations

import base64
import os
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
ICON_SVG = RESOURCES / "icons" / "streamdoctor.svg"
ICON_MODULE = ROOT / "src" / "streamdoctor" / "gui" / "resources" / "icon_data.py"
# The window and taskbar sizes Qt picks from; larger ones come from the installers' own icon files.
ICON_SIZES = (48, 128)


def render_png(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"build_resources: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def icon_module_text(svg: Path = ICON_SVG) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (QImage/QSvgRenderer need one)
    lines = [
        '"""The app icon as PNG bytes. Generated at build time from resources/icons/streamdoctor.svg by',
        'packaging/build_resources.py; not in git, do not edit."""',
        "",
        "ICON_PNG = {",
    ]
    for size in ICON_SIZES:
        encoded = base64.b64encode(render_png(svg, size)).decode()
        lines.append(f"    {size}: (")
        lines += [f'        "{chunk}"' for chunk in textwrap.wrap(encoded, 100)]
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = icon_module_text()
    current = ICON_MODULE.read_text(encoding="utf-8") if ICON_MODULE.is_file() else None
    if "--check" in args:
        if current != text:
            print(f"build_resources: {ICON_MODULE.relative_to(ROOT)} is missing or stale; run this without --check")
            return 1
        return 0
    if current != text:
        ICON_MODULE.write_text(text, encoding="utf-8")
        print(f"build_resources: wrote {ICON_MODULE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
