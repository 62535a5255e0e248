"""The app's icon, compiled into the package as PNG bytes (icon_data.py, generated at build time from
resources/icons/streamdoctor.svg by packaging/build_resources.py): it loads the same from source, a wheel or a
PyInstaller bundle, with no _MEIPASS path juggling."""

from __future__ import annotations

import base64

from PySide6.QtGui import QIcon, QPixmap


def app_icon() -> QIcon:
    from .icon_data import ICON_PNG

    icon = QIcon()
    for data in ICON_PNG.values():
        pixmap = QPixmap()
        pixmap.loadFromData(base64.b64decode(data), "PNG")
        icon.addPixmap(pixmap)
    return icon
