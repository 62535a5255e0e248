"""Benchmark: the frozen app against the smallest PySide6 wizard PyInstaller can make, built with the same options.

    python bench/bench_package.py [--runs 10] [--platform offscreen|xcb] [--no-build]

Prints, from one run (sizes and memory in MiB): size on disk and compressed (app / bare ratio, target <= 1.25x
compressed), start to first page painted (median of --runs, ratio, target <= 1.3x), and the peak RSS of a full
thorough run of the frozen app (target <= 150 MiB). Builds dist/bare_wizard (and dist/streamdoctor when
missing) with `nice`: PyInstaller is CPU-heavy. "First page painted" is timed by packaging/rthook_paint_probe.py,
a runtime hook in both binaries.
Each result is also printed as a `BENCH {json}` line for bench/run_all.py's table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))
from make_linux_packages import write_tarball  # noqa: E402

DIST = ROOT / "dist"
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""
BARE = DIST / "bare_wizard" / f"bare_wizard{EXE_SUFFIX}"
APP = DIST / "streamdoctor" / f"streamdoctor{EXE_SUFFIX}"
MIB = 1024 * 1024


@dataclass
class Row:
    metric: str
    unit: str
    app: float | None
    bare: float | None = None
    target: str = ""
    ok: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.app is None or not self.bare:
            return None
        return self.app / self.bare

    def as_json(self) -> str:
        return json.dumps(
            {
                "bench": "package",
                "metric": self.metric,
                "unit": self.unit,
                "value": None if self.app is None else round(self.app, 2),
                "baseline": None if self.bare is None else round(self.bare, 2),
                "ratio": None if self.ratio is None else round(self.ratio, 3),
                "target": self.target,
                "ok": self.ok,
            }
        )


def pyinstaller(spec: Path) -> None:
    """Build one spec into dist/ at low priority (the machine is shared; a build is minutes of CPU)."""
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    cmd += ["--distpath", str(DIST), "--workpath", str(ROOT / "build" / "pyinstaller"), str(spec)]
    if hasattr(os, "nice"):
        cmd = ["nice", "-n", "10", *cmd]
    print(f"building {spec.name} ...", flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def stale(binary: Path, inputs: list[Path]) -> bool:
    if not binary.exists():
        return True
    built = binary.stat().st_mtime
    return any(p.exists() and p.stat().st_mtime > built for p in inputs)


def tree_bytes(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            p = Path(dirpath) / name
            if not p.is_symlink():
                total += p.stat().st_size
    return total


def compressed_bytes(path: Path) -> int:
    """Size of the onedir as the tar.gz `make dist` ships (same writer, same level)."""
    with tempfile.TemporaryDirectory() as tmp:
        return write_tarball(path, Path(tmp) / "x.tar.gz", path.name).stat().st_size


class Display:
    """Where the GUI runs: Qt's offscreen platform, or an Xvfb server shared by every run (xcb)."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.env: dict[str, str] = {"QT_QPA_PLATFORM": platform}
        self._xvfb: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Display:
        if self.platform == "xcb":
            if not shutil.which("Xvfb"):
                raise SystemExit("bench_package: --platform xcb needs Xvfb (apt-get install xvfb)")
            read_fd, write_fd = os.pipe()
            self._xvfb = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                pass_fds=(write_fd,),
                stderr=subprocess.DEVNULL,
            )
            os.close(write_fd)
            with os.fdopen(read_fd) as fh:
                number = fh.readline().strip()
            if not number:
                raise SystemExit("bench_package: Xvfb did not start")
            self.env["DISPLAY"] = f":{number}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._xvfb:
            self._xvfb.terminate()
            self._xvfb.wait(timeout=10)


def run_env(extra: dict[str, str], home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env["STREAMDOCTOR_HOME"] = str(home)  # keep the app's logs and journal out of the real profile
    runtime = home / "xdg-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    return env


def time_to_paint(binary: Path, display: Display, home: Path) -> tuple[float, float]:
    """(ms from spawn to the first window painted, peak RSS in MiB up to then) for one start."""
    stamp = home / "painted"
    stamp.unlink(missing_ok=True)
    env = run_env({**display.env, "STREAMDOCTOR_PAINT_PROBE": str(stamp)}, home)
    started = time.time()
    proc = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    rss_mb = wait_rss_mb(proc, timeout=120)
    if not stamp.exists():
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"bench_package: {binary.name} exited {proc.returncode} without painting a window:\n{err}")
    painted = float(stamp.read_text().strip())
    return (painted - started) * 1000, rss_mb


def wait_rss_mb(proc: subprocess.Popen[bytes], timeout: float) -> float:
    """Wait for the child and return its peak resident set (Linux wait4 rusage; psutil sampling elsewhere)."""
    if hasattr(os, "wait4"):
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                scale = 1024 if sys.platform.startswith("linux") else 1  # ru_maxrss: KiB on Linux, bytes on macOS
                return usage.ru_maxrss * scale / MIB
            if time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(f"bench_package: {proc.args} did not finish in {timeout:.0f} s")
            time.sleep(0.005)
    import psutil

    peak = 0
    ps = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        try:
            peak = max(peak, ps.memory_info().rss)
        except psutil.Error:
            break
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"bench_package: {proc.args} did not finish in {timeout:.0f} s")
        time.sleep(0.02)
    proc.wait()
    return peak / MIB


def thorough_rss(args: list[str], extra_env: dict[str, str], home: Path) -> tuple[float, int]:
    env = run_env(extra_env, home)
    proc = subprocess.Popen([str(APP), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rss = wait_rss_mb(proc, timeout=900)
    return rss, proc.returncode or 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="size, start-up and memory of the frozen app vs a bare wizard")
    parser.add_argument("--runs", type=int, default=10, help="starts per binary for the median (default 10)")
    parser.add_argument(
        "--platform",
        choices=("offscreen", "xcb"),
        default="xcb" if sys.platform.startswith("linux") and shutil.which("Xvfb") else "offscreen",
        help="Qt platform for the start-up runs (default: xcb under Xvfb when available)",
    )
    parser.add_argument("--no-build", action="store_true", help="measure what is in dist/, build nothing")
    parser.add_argument("--lab", default="clean", help="lab profile for the thorough run (default clean)")
    args = parser.parse_args(argv)

    packaging = ROOT / "packaging"
    common = [packaging / "pyi_common.py", packaging / "rthook_paint_probe.py"]
    if not args.no_build:
        if stale(BARE, [ROOT / "bench" / "bare_wizard.py", ROOT / "bench" / "bare_wizard.spec", *common]):
            pyinstaller(ROOT / "bench" / "bare_wizard.spec")
        if not APP.exists():
            pyinstaller(packaging / "streamdoctor.spec")
    if not BARE.exists():
        print("bench_package: no dist/bare_wizard build (run without --no-build)", file=sys.stderr)
        return 2
    have_app = APP.exists()
    if not have_app:
        print("bench_package: no dist/streamdoctor build; only the bare wizard is measured", file=sys.stderr)

    rows: list[Row] = []
    disk_app = tree_bytes(APP.parent) / MIB if have_app else None
    gz_app = compressed_bytes(APP.parent) / MIB if have_app else None
    disk_bare, gz_bare = tree_bytes(BARE.parent) / MIB, compressed_bytes(BARE.parent) / MIB
    rows.append(Row("size on disk", "MiB", disk_app, disk_bare))
    gz = Row("size compressed (tar.gz)", "MiB", gz_app, gz_bare, "<= 1.25x")
    gz.ok = None if gz.ratio is None else gz.ratio <= 1.25
    rows.append(gz)

    with tempfile.TemporaryDirectory(prefix="sd-bench-") as tmp, Display(args.platform) as display:
        home = Path(tmp)
        binaries = [BARE, APP] if have_app else [BARE]
        for binary in binaries:  # one warm-up start each: the first start also reads the files from disk
            time_to_paint(binary, display, home)
        times: dict[Path, list[float]] = {b: [] for b in binaries}
        rss: dict[Path, list[float]] = {b: [] for b in binaries}
        for _ in range(args.runs):
            for binary in binaries:  # interleaved, so a burst of load elsewhere hits both alike
                ms, mb = time_to_paint(binary, display, home)
                times[binary].append(ms)
                rss[binary].append(mb)
        start = Row(
            f"start to first page painted ({args.platform}, median of {args.runs})",
            "ms",
            statistics.median(times[APP]) if have_app else None,
            statistics.median(times[BARE]),
            "<= 1.3x",
        )
        start.ok = None if start.ratio is None else start.ratio <= 1.3
        rows.append(start)
        rows.append(
            Row(
                "peak RSS at first page",
                "MiB",
                statistics.median(rss[APP]) if have_app else None,
                statistics.median(rss[BARE]),
            )
        )
        if have_app:
            mb, code = thorough_rss(["check", "--lab", args.lab], {}, home)
            # The thorough run of the brief: every probe, in one process that also hosts the simulated API.
            row = Row(f"peak RSS, check --lab {args.lab} (all probes; exit {code})", "MiB", mb, None, "<= 150 MiB")
            row.ok = mb <= 150 and code == 0
            rows.append(row)
            if (ROOT / "src" / "streamdoctor" / "gui" / "app.py").exists():
                mb, code = thorough_rss(["--self-test"], display.env, home)
                # For information: the wizard walked twice (two lab profiles, two wizards) with the lab in-process.
                row = Row(f"peak RSS, --self-test wizard, 2 profiles ({args.platform}; exit {code})", "MiB", mb)
                row.ok = None if code == 0 else False
                rows.append(row)

    print_table(rows)
    for row in rows:
        print("BENCH " + row.as_json())
    return 0 if all(r.ok is not False for r in rows) else 1


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(rows: list[Row]) -> None:
    header = f"{'metric':<58} {'app':>9} {'bare':>9} {'ratio':>7}  {'target':<10} result"
    print(header)
    print("-" * len(header))
    for r in rows:
        result = {True: "ok", False: "MISSED", None: ""}[r.ok]
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        print(
            f"{r.metric + ' (' + r.unit + ')':<58} {fmt(r.app):>9} {fmt(r.bare):>9} {ratio:>7}  {r.target:<10} {result}"
        )


if __name__ == "__main__":
    sys.exit(main())
