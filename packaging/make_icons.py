"""Render the app's icon into the formats each platform wants, at build time.

Why at build time: one vector source in git (resources/icons/streamdoctor.svg, also the window icon) instead of
binary PNG/ICO/ICNS files that drift apart. Qt (already a build dependency) renders the SVG; the .ico is written
here (PNG-compressed entries, valid since Windows Vista); the .icns comes from Apple's own `iconutil` on macOS.

    python packaging/make_icons.py [OUT_DIR]     (default build/icons)
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources" / "icons" / "streamdoctor.svg"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # build_resources, when run as a script or from a spec
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# iconutil's required names: icon_<size>x<size>[@2x].png
ICONSET = {
    "icon_16x16.png": 16,
    "icon_16x16@2x.png": 32,
    "icon_32x32.png": 32,
    "icon_32x32@2x.png": 64,
    "icon_128x128.png": 128,
    "icon_128x128@2x.png": 256,
    "icon_256x256.png": 256,
    "icon_256x256@2x.png": 512,
    "icon_512x512.png": 512,
    "icon_512x512@2x.png": 1024,
}


def render_png(size: int) -> bytes:
    """The SVG drawn at size x size, as PNG bytes (the same renderer that makes the window icon)."""
    from build_resources import render_png as render

    return render(SOURCE, size)


def write_ico(path: Path, pngs: dict[int, bytes]) -> None:
    """An ICO file whose entries are PNGs (ICONDIR + ICONDIRENTRY per size; 0 in a size byte means 256)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        blob = pngs[size]
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        blobs += blob
    path.write_bytes(header + entries + blobs)


def main(out_dir: Path) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])
    del app
    out_dir.mkdir(parents=True, exist_ok=True)
    cache: dict[int, bytes] = {}
    for size in sorted({*PNG_SIZES, *ICO_SIZES, *ICONSET.values()}):
        cache[size] = render_png(size)
    for size in PNG_SIZES:
        (out_dir / f"streamdoctor-{size}.png").write_bytes(cache[size])
    write_ico(out_dir / "streamdoctor.ico", {s: cache[s] for s in ICO_SIZES})
    if sys.platform == "darwin":
        iconset = out_dir / "streamdoctor.iconset"
        shutil.rmtree(iconset, ignore_errors=True)
        iconset.mkdir()
        for name, size in ICONSET.items():
            (iconset / name).write_bytes(cache[size])
        subprocess.run(["iconutil", "-c", "icns", str(iconset), "-o", str(out_dir / "streamdoctor.icns")], check=True)
    print(f"make_icons: wrote icons to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons"))
