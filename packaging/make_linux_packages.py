"""Linux packages from the PyInstaller onedir build: a tar.gz and a .deb (dpkg-deb) installing into /opt/streamdoctor.

    python packaging/make_linux_packages.py [--dist dist]

The .deb carries a .desktop file, the icon in the hicolor theme sizes and a /usr/bin/streamdoctor launcher (a
symlink: PyInstaller's bootloader finds its _internal/ folder through /proc/self/exe, so a link works). Its
Depends line is RUNTIME_DEPENDS, measured with packaging/linux/runtime_deps.py on the frozen bundle.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
APP = "streamdoctor"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

# What the frozen bundle needs from a Debian 12 system (see README "Install"; re-measure with
# `python packaging/linux/runtime_deps.py dist/streamdoctor` after a dependency change). Everything else, Qt,
# ICU, OpenSSL, the xcb helper libraries, is inside the bundle.
# libc6's minimum version is read from the bundle itself (glibc_floor): it is the build machine's.
RUNTIME_DEPENDS = [
    "libgl1",
    "libegl1",
    "libxcb1",
    "fontconfig-config",
]


def app_version() -> str:
    text = (ROOT / "src" / "streamdoctor" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    if not match:
        raise SystemExit("make_linux_packages: no __version__ in src/streamdoctor/__init__.py")
    return match.group(1)


def deb_architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def glibc_floor(onedir: Path) -> str:
    """The newest GLIBC_x.y symbol version any binary in the bundle needs (objdump -T): the libc6 it requires."""
    found: set[tuple[int, ...]] = set()
    for dirpath, _dirs, files in os.walk(onedir):
        for name in files:
            path = Path(dirpath) / name
            if path.is_symlink():
                continue
            with path.open("rb") as fh:
                if fh.read(4) != b"\x7fELF":
                    continue
            out = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True).stdout
            found.update(tuple(int(n) for n in v.split(".")) for v in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", out))
    if not found:
        raise SystemExit("make_linux_packages: found no GLIBC symbol versions (is objdump, from binutils, installed?)")
    return ".".join(str(n) for n in max(found))


def write_tarball(src_dir: Path, out_path: Path, top: str) -> Path:
    """src_dir packed as out_path with every member under top/, owned by root (no build-machine user names)."""

    def as_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    tmp = out_path.with_suffix(out_path.suffix + ".part")
    with tarfile.open(tmp, "w:gz", compresslevel=9) as tar:
        tar.add(src_dir, arcname=top, filter=as_root)
    tmp.replace(out_path)  # never a half-written archive under the final name
    return out_path


def _tree_size_kib(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            p = Path(dirpath) / name
            if not p.is_symlink():
                total += p.stat().st_size
    return (total + 1023) // 1024


def write_deb(onedir: Path, out_dir: Path, version: str, icons: Path) -> Path:
    arch = deb_architecture()
    stage = ROOT / "build" / "deb" / f"{APP}_{version}_{arch}"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "DEBIAN").mkdir(parents=True)
    shutil.copytree(onedir, stage / "opt" / APP, symlinks=True)
    (stage / "usr" / "bin").mkdir(parents=True)
    os.symlink(f"/opt/{APP}/{APP}", stage / "usr" / "bin" / APP)
    apps = stage / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copy2(PACKAGING / "linux" / f"{APP}.desktop", apps / f"{APP}.desktop")
    for size in ICON_SIZES:
        dest = stage / "usr" / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        dest.mkdir(parents=True)
        shutil.copy2(icons / f"{APP}-{size}.png", dest / f"{APP}.png")
    doc = stage / "usr" / "share" / "doc" / APP
    doc.mkdir(parents=True)
    shutil.copy2(PACKAGING / "linux" / "copyright", doc / "copyright")
    control = (PACKAGING / "linux" / "control.in").read_text(encoding="utf-8")
    control = (
        control.replace("@VERSION@", version)
        .replace("@ARCH@", arch)
        .replace("@INSTALLED_SIZE@", str(_tree_size_kib(stage)))
        .replace("@DEPENDS@", ", ".join([f"libc6 (>= {glibc_floor(onedir)})", *RUNTIME_DEPENDS]))
    )
    (stage / "DEBIAN" / "control").write_text(control, encoding="utf-8")
    for dirpath, dirs, files in os.walk(stage):  # dpkg wants 0755 dirs; umask may have made them tighter
        for name in dirs:
            os.chmod(Path(dirpath) / name, 0o755)
        for name in files:
            p = Path(dirpath) / name
            if not p.is_symlink():
                os.chmod(p, 0o755 if os.access(p, os.X_OK) else 0o644)
    out = out_dir / f"{APP}_{version}_{arch}.deb"
    part = out_dir / f".{out.name}.part"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(stage), str(part)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    part.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="PyInstaller's dist folder (default: dist)")
    args = parser.parse_args(argv)
    onedir = args.dist / APP
    if not (onedir / APP).is_file():
        print(f"make_linux_packages: no build at {onedir}; run PyInstaller first (make dist does)", file=sys.stderr)
        return 2
    version = app_version()
    icons = ROOT / "build" / "icons"
    subprocess.run([sys.executable, str(PACKAGING / "make_icons.py"), str(icons)], check=True)
    machine = os.uname().machine
    tarball = write_tarball(onedir, args.dist / f"{APP}-{version}-linux-{machine}.tar.gz", f"{APP}-{version}")
    deb = write_deb(onedir, args.dist, version, icons)
    for path in (tarball, deb):
        print(f"{path}  {path.stat().st_size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
