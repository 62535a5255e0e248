#!/usr/bin/env python3
"""The bundled CJK fonts: what they add to the download, and what registering one costs at start-up.

Size: each subset font (packaging/build_fonts.py) compressed by the same tar.gz writer and level `make dist`
uses, against the Noto Sans CJK collection it is cut from; and, because the catalogs grow, the subset of the same
face for 500, 1000 and 2000 ideographs plus the kana (the first code points of the blocks, not a frequency list:
an estimate of how the size grows with the characters the translations use).
Start-up: the app's time from spawn to the first painted page in Japanese with the bundled JP subset (registered
and put behind the app font) against Japanese drawn with the system's fonts (the build without it), and English
for information; fresh processes, alternating, median of --runs. Target: the bundled font within 1.1x of the
system's. Prints numbers; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))
sys.path.insert(0, str(ROOT / "bench"))
import build_fonts  # noqa: E402
from make_linux_packages import write_tarball  # noqa: E402

from bench_gui_startup import first_paint_s  # noqa: E402

TARGET_START_RATIO = 1.1  # reading ~300 KB of font must not be a noticeable part of a ~0.4 s start
KANA = [chr(c) for c in range(0x3041, 0x3097)] + [chr(c) for c in range(0x30A1, 0x30FB)]
# The app started in a given language: the language is set before the GUI is made, as the app's chooser does.
# "ja-system" is Japanese without the bundled font (as a source checkout that never built it): the system's fonts.
START = (
    "import sys, pathlib; variant = sys.orig_argv[-1]; sys.argv = ['streamdoctor']\n"
    "from streamdoctor import i18n; i18n.set_language(variant.split('-')[0])\n"
    "from streamdoctor.gui import fonts\n"
    "if variant.endswith('-system'): fonts.font_dir = lambda: pathlib.Path('/nonexistent')\n"
    "from streamdoctor.__main__ import main; sys.exit(main())\n"
)
VARIANTS = ("en", "ja", "ja-system")


def bench(metric: str, value: float, unit: str, **extra: object) -> None:
    print("BENCH " + json.dumps({"bench": "fonts", "metric": metric, "value": round(value, 3), "unit": unit,
                                 **extra}), flush=True)


def gz_kib(files: dict[str, bytes]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp) / "fonts"
        top.mkdir()
        for name, data in files.items():
            (top / name).write_bytes(data)
        return write_tarball(top, Path(tmp) / "fonts.tar.gz", "fonts").stat().st_size / 1024


def sizes() -> None:
    source = build_fonts.find_source()
    if source is None:
        print("bench_fonts: no Noto Sans CJK collection (fonts-noto-cjk): sizes skipped")
        return
    built = {face.file: (build_fonts.OUTPUT / face.file).read_bytes() for face in build_fonts.FACES
             if (build_fonts.OUTPUT / face.file).is_file()}
    if built:
        for face in build_fonts.FACES:
            if face.file in built:
                chars = len(build_fonts.characters(face.lang))
                print(f"{face.file}: {chars} characters, {len(built[face.file]) / 1024:.0f} KiB")
        total = gz_kib(built)
        bench("the bundled fonts in the tar.gz", total, "KiB", baseline=round(source.stat().st_size / 1024),
              ratio=round(total / (source.stat().st_size / 1024), 4))
    face = build_fonts.FACES[0]
    for ideographs in (500, 1000, 2000):
        chars = set(KANA) | set(build_fonts.PUNCTUATION) | {chr(0x4E00 + i) for i in range(ideographs)}
        data = build_fonts.subset_bytes(source, face, chars)
        bench(f"one face with {ideographs} ideographs + kana (estimate)", gz_kib({face.file: data}), "KiB",
              raw_kib=round(len(data) / 1024))


def start_up(runs: int) -> None:
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["STREAMDOCTOR_HOME"] = str(Path(tempfile.gettempdir()) / "streamdoctor-bench-fonts-home")
    env["STREAMDOCTOR_EXIT_AFTER_FIRST_PAINT"] = "1"
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "streamdoctor-bench-pycache")
    cmd = {v: [sys.executable, "-c", START, v] for v in VARIANTS}
    envs = {v: {**env, "STREAMDOCTOR_LANG": v.split("-")[0]} for v in cmd}  # for the app's own language chooser
    for v, c in cmd.items():
        first_paint_s(c, envs[v])  # warm the file and bytecode caches for each
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for _ in range(runs):
        for v, c in cmd.items():
            times[v].append(first_paint_s(c, envs[v]))
    ms = {v: statistics.median(t) * 1000 for v, t in times.items()}
    print(f"start to first paint, median of {runs}: " + ", ".join(f"{v} {m:.0f} ms" for v, m in ms.items()))
    # What the bundled font costs: Japanese with it against Japanese with the system's fonts (the same text drawn)
    bench("start to first paint, ja with the bundled font vs the system's", ms["ja"], "ms",
          baseline=round(ms["ja-system"]), ratio=round(ms["ja"] / ms["ja-system"], 3),
          target=f"<= {TARGET_START_RATIO}x", ok=ms["ja"] / ms["ja-system"] <= TARGET_START_RATIO)
    bench("start to first paint, ja vs en (for information)", ms["ja"], "ms", baseline=round(ms["en"]),
          ratio=round(ms["ja"] / ms["en"], 3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sizes()
    start_up(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
