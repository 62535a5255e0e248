"""Smoke test of a frozen Stream Doctor: start the built binary the way a user would and fail on any sign of trouble.

    python packaging/smoke_test.py                          # dist/streamdoctor (or the .app on macOS)
    python packaging/smoke_test.py --binary PATH
    python packaging/smoke_test.py --tarball dist/streamdoctor-*.tar.gz --deb dist/streamdoctor_*.deb

Checks, each in a fresh STREAMDOCTOR_HOME: `--version`; `check --lab clean` (the SDK, httpx2, certifi's data and
the lab all work frozen); the bundled CJK fonts are present and load (the wizard started in ja and zh_CN);
`--self-test` (the whole wizard headless on the lab) with Qt's offscreen platform and,
on Linux, on a real X server (Xvfb) with the xcb platform; on Windows/macOS with the native platform. A check
fails on a non-zero exit or on any stderr line not in ALLOWED_STDERR (modelled on qutebrowser's
scripts/dev/build_release.py smoke test: a frozen build that starts but prints warnings is broken too).
A .tar.gz is unpacked and a .deb extracted with `dpkg-deb -x` into temporary folders and tested from there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IS_WIN = sys.platform == "win32"
IS_MAC = sys.platform == "darwin"
IS_LINUX = sys.platform.startswith("linux")

# stderr lines that are not a problem: none so far (a clean build prints nothing). Add a compiled regex with a
# comment saying why it is harmless; every entry hides something.
ALLOWED_STDERR: list[re.Pattern[str]] = [
    # The stress test's cost notice: with --json it goes to stderr by design, so that stdout stays pure JSON.
    re.compile(r"^Stress test '\w+': up to \d+ output tokens from "),
]
SELF_TEST_TIMEOUT_S = 600
CLI_TIMEOUT_S = 300


def default_binary() -> Path:
    dist = ROOT / "dist"
    if IS_MAC:
        return dist / "Stream Doctor.app" / "Contents" / "MacOS" / "streamdoctor"
    return dist / "streamdoctor" / ("streamdoctor.exe" if IS_WIN else "streamdoctor")


@dataclass
class Outcome:
    name: str
    ok: bool
    detail: str = ""


def unexpected_stderr(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip() and not any(p.search(line) for p in ALLOWED_STDERR)]


@contextmanager
def xvfb() -> Iterator[str]:
    """A private Xvfb server for this test; yields its DISPLAY (-displayfd picks a free display number)."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as fh:
            number = fh.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def run(
    binary: Path,
    args: list[str],
    name: str,
    env_extra: dict[str, str],
    timeout: float,
    keep_stdout: bool = False,
    inspect_home: Callable[[Path], str] | None = None,
) -> Outcome:
    """Run the binary in a fresh STREAMDOCTOR_HOME; `inspect_home` reads that folder (the log) before it is deleted
    and returns a problem, or "" when there is none."""
    with tempfile.TemporaryDirectory(prefix="sd-smoke-") as tmp:
        env = dict(os.environ)
        for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "STREAMDOCTOR_PAINT_PROBE", "ANTHROPIC_API_KEY"):
            env.pop(var, None)
        env["STREAMDOCTOR_HOME"] = str(Path(tmp) / "home")  # logs, journal and settings stay in the temp folder
        if not IS_WIN:
            runtime = Path(tmp) / "runtime"
            runtime.mkdir(mode=0o700)
            env["XDG_RUNTIME_DIR"] = str(runtime)  # else Qt warns that it is unset (root, containers, CI)
            env["HOME"] = str(Path(tmp) / "user")  # a fresh profile: no ~/.claude, no keyring of the tester
            Path(env["HOME"]).mkdir()
        env.update(env_extra)
        try:
            proc = subprocess.run(
                [str(binary), *args],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return Outcome(name, False, f"no exit within {timeout:.0f} s")
        except OSError as exc:
            return Outcome(name, False, f"could not start {binary}: {exc}")
        problem = inspect_home(Path(env["STREAMDOCTOR_HOME"])) if inspect_home and proc.returncode == 0 else ""
    if problem:
        return Outcome(name, False, problem)
    bad = unexpected_stderr(proc.stderr)
    if proc.returncode != 0 or bad:
        detail = f"exit {proc.returncode}"
        if bad:
            detail += "; unexpected stderr:\n    " + "\n    ".join(bad[:40])
        if proc.stdout.strip():
            detail += "\n  stdout (last lines):\n    " + "\n    ".join(proc.stdout.strip().splitlines()[-15:])
        return Outcome(name, False, detail)
    if keep_stdout:
        return Outcome(name, True, proc.stdout)
    return Outcome(name, True, proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else "")


def check_pac_child(binary: Path, label: str) -> Outcome:
    """The PAC evaluator is a spawned child process: it only starts in a frozen build whose entry point calls
    multiprocessing.freeze_support(). A KDE proxy setting pointing at a local PAC file makes `check` use it."""
    name = f"{label}: PAC evaluated in a child process"
    with tempfile.TemporaryDirectory(prefix="sd-smoke-pac-") as tmp:
        pac = Path(tmp) / "proxy.pac"
        pac.write_text('function FindProxyForURL(url, host) { return "DIRECT"; }\n', encoding="ascii")
        config = Path(tmp) / "config"
        config.mkdir()
        (config / "kioslaverc").write_text(
            f"[Proxy Settings]\nProxyType=2\nProxy Config Script={pac.as_uri()}\n", encoding="utf-8"
        )
        env = {"XDG_CONFIG_HOME": str(config), "XDG_CURRENT_DESKTOP": "KDE"}
        outcome = run(binary, ["check", "--lab", "clean"], name, env, CLI_TIMEOUT_S, keep_stdout=True)
    if outcome.ok and "could not be evaluated" in outcome.detail:
        return Outcome(name, False, "the PAC file was not evaluated:\n" + outcome.detail)
    return Outcome(name, outcome.ok, "" if outcome.ok else outcome.detail)


def check_streamed_answer(binary: Path, label: str) -> Outcome:
    """A whole answer streamed from the lab through the frozen SDK and httpx2: headers, every text event, the
    message_stop, the stop reason. `check --lab` alone never streams without a key; `stress --lab` does."""
    name = f"{label}: a whole streamed answer from the lab (stress --lab clean)"
    args = ["stress", "--lab", "clean", "--yes", "--size", "quick", "--json"]
    outcome = run(binary, args, name, {}, CLI_TIMEOUT_S, keep_stdout=True)
    if not outcome.ok:
        return outcome
    try:
        report = json.loads(outcome.detail)
        stream = next(r for r in report["results"] if r["probe"] == "stream")
        data = stream["data"]
    except (ValueError, KeyError, StopIteration, TypeError) as exc:
        return Outcome(name, False, f"no stream result in the JSON ({exc}): {outcome.detail[:300]}")
    events = data.get("events", {})
    if (
        data.get("outcome") != "completed"
        or events.get("message_stop") != 1
        or data.get("stop_reason") != "end_turn"
        or not data.get("text_events")
    ):
        return Outcome(name, False, f"the stream did not complete: {stream.get('summary')}")
    return Outcome(name, True, str(stream.get("summary", "")))


def check_imports(binary: Path, label: str) -> Outcome:
    """Every module the build's import manifest lists imports inside the build (streamdoctor/selfcheck.py)."""
    outcome = run(binary, ["--check-imports"], f"{label}: every runtime import is in the build", {}, CLI_TIMEOUT_S)
    return outcome


# The bundled CJK fonts (packaging/build_fonts.py, registered by gui/fonts.py): language -> file and family
CJK_FONTS = {"ja": ("StreamDoctorCJK-JP.otf", "StreamDoctor CJK JP"),
             "zh_CN": ("StreamDoctorCJK-SC.otf", "StreamDoctor CJK SC")}
FONT_START_TIMEOUT_S = 120


def check_cjk_fonts(binary: Path, label: str) -> list[Outcome]:
    """Each CJK font is in the build and Qt loads it in the frozen app: the wizard started in that language (up to
    its first painted page, offscreen) logs the family Qt read from the file. Required on Linux, where a bare system
    may have no CJK font; on Windows and macOS, whose system fonts cover CJK, a build without them passes."""
    top = binary.parents[1] if IS_MAC else binary.parent  # the .app's Contents/, or the onedir folder
    outcomes: list[Outcome] = []
    for lang, (file, family) in CJK_FONTS.items():
        name = f"{label}: the {lang} font ({file}) is bundled and loads"
        found = sorted(top.rglob(file))
        if not found:
            outcomes.append(Outcome(name, not IS_LINUX, f"{file} is not in {top}" if IS_LINUX else
                                    "not bundled: the system's CJK fonts are used"))
            continue

        def registered(home: Path, lang: str = lang, family: str = family) -> str:
            log = home / "logs" / "streamdoctor.log"
            text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
            if f"bundled font registered for {lang}: ['{family}']" in text:
                return ""
            return (f"the app started in {lang} did not log that it registered {family!r} "
                    f"(is the language chosen before make_application()?); log: {log}")

        env = {"QT_QPA_PLATFORM": "offscreen", "STREAMDOCTOR_LANG": lang, "STREAMDOCTOR_EXIT_AFTER_FIRST_PAINT": "1"}
        outcome = run(binary, [], name, env, FONT_START_TIMEOUT_S, inspect_home=registered)
        if outcome.ok:
            outcome.detail = f"{found[0].relative_to(top)}, {found[0].stat().st_size // 1024} KB"
        outcomes.append(outcome)
    return outcomes


# The languages the app speaks besides English: their compiled catalogs, and Qt's own, must be in every build.
LANGUAGES = ("de", "fr", "es", "ja", "zh_CN", "pt_BR")


def check_languages(binary: Path, label: str) -> list[Outcome]:
    """Each language's compiled catalog (ours, and Qt's qtbase for the menus Qt draws) is in the build, and the
    frozen CLI speaks German: the German title of the first check, read from resources/translations/de.po."""
    top = binary.parents[1] if IS_MAC else binary.parent
    ours = {p.parent.parent.name for p in top.rglob("streamdoctor.mo")}  # locale/<lang>/LC_MESSAGES/
    qts = {p.name for p in top.rglob("qtbase_*.qm")}
    missing = [f"{lang}: streamdoctor.mo" for lang in LANGUAGES if lang not in ours]
    missing += [f"{lang}: qtbase_{lang}.qm" for lang in LANGUAGES if f"qtbase_{lang}.qm" not in qts]
    outcomes = [Outcome(f"{label}: the catalogs of {len(LANGUAGES)} languages are in the build", not missing,
                        "missing: " + ", ".join(missing) if missing else "")]
    sys.path.insert(0, str(ROOT / "packaging"))
    from build_translations import parse_po

    german = parse_po((ROOT / "resources" / "translations" / "de.po").read_text(encoding="utf-8"))
    expected = german["Network interfaces"]
    name = f"{label}: --lang de check --lab clean speaks German"
    outcome = run(binary, ["--lang", "de", "check", "--lab", "clean"], name, {}, CLI_TIMEOUT_S, keep_stdout=True)
    if outcome.ok and expected not in outcome.detail:
        outcome = Outcome(name, False, f"{expected!r} is not in the output:\n{outcome.detail[:600]}")
    elif outcome.ok:
        outcome.detail = expected
    outcomes.append(outcome)
    return outcomes


def check_binary(binary: Path, label: str, gui: bool, xcb: bool) -> list[Outcome]:
    outcomes: list[Outcome] = []
    if not binary.is_file():
        return [Outcome(f"{label}: binary", False, f"{binary} does not exist")]
    version = run(binary, ["--version"], f"{label}: --version", {}, CLI_TIMEOUT_S)
    # A windowed Windows exe may have no stdout to print to; on the other systems the version must be printed.
    if version.ok and not IS_WIN and not version.detail.startswith("streamdoctor "):
        version = Outcome(version.name, False, f"printed {version.detail!r}, expected 'streamdoctor <version>'")
    outcomes.append(version)
    outcomes.append(check_imports(binary, label))
    outcomes.append(run(binary, ["check", "--lab", "clean"], f"{label}: check --lab clean", {}, CLI_TIMEOUT_S))
    outcomes.append(check_streamed_answer(binary, label))
    outcomes += check_languages(binary, label)
    if IS_LINUX:
        outcomes.append(check_pac_child(binary, label))
    if not gui:
        return outcomes
    outcomes += check_cjk_fonts(binary, label)
    if IS_LINUX:
        outcomes.append(
            run(
                binary,
                ["--self-test"],
                f"{label}: --self-test (offscreen)",
                {"QT_QPA_PLATFORM": "offscreen"},
                SELF_TEST_TIMEOUT_S,
            )
        )
        if xcb:
            if shutil.which("Xvfb") is None:
                outcomes.append(
                    Outcome(f"{label}: --self-test (xcb)", False, "Xvfb is not installed (apt-get install xvfb)")
                )
            else:
                with xvfb() as display:
                    outcomes.append(
                        run(
                            binary,
                            ["--self-test"],
                            f"{label}: --self-test (xcb on Xvfb {display})",
                            {"QT_QPA_PLATFORM": "xcb", "DISPLAY": display},
                            SELF_TEST_TIMEOUT_S,
                        )
                    )
    else:
        # Hosted Windows/macOS runners have a desktop session: the native platform plugin, then offscreen.
        native = "windows" if IS_WIN else "cocoa"
        for platform in (native, "offscreen"):
            outcomes.append(
                run(
                    binary,
                    ["--self-test"],
                    f"{label}: --self-test ({platform})",
                    {"QT_QPA_PLATFORM": platform},
                    SELF_TEST_TIMEOUT_S,
                )
            )
    return outcomes


def tree_digest(top: Path) -> dict[str, str]:
    """{relative path: sha256 of the file, or where a link points}, with the executable bit: two trees that are
    equal here run the same code."""
    digest = {}
    for path in sorted(top.rglob("*")):
        rel = path.relative_to(top).as_posix()
        if path.is_symlink():
            digest[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            executable = "x" if os.access(path, os.X_OK) else "-"
            digest[rel] = executable + hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def check_tarball(tarball: Path, gui: bool, xcb: bool) -> tuple[list[Outcome], dict[str, str]]:
    """The tarball's checks, and the digest of its tree (for the .deb's comparison)."""
    with tempfile.TemporaryDirectory(prefix="sd-smoke-tar-") as tmp:
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="tar")
        tops = [p for p in Path(tmp).iterdir() if p.is_dir()]
        if len(tops) != 1:
            return [Outcome(f"{tarball.name}: layout", False, f"expected one top folder, found {len(tops)}")], {}
        return check_binary(tops[0] / "streamdoctor", tarball.name, gui, xcb), tree_digest(tops[0])


def check_deb(deb: Path, gui: bool, xcb: bool, tested_tree: dict[str, str] | None = None) -> list[Outcome]:
    """The .deb's layout, then its program. When its /opt/streamdoctor holds exactly the files of a tarball whose
    wizard was just tested (`tested_tree`), the wizard's self-tests are not run a second time on the same bytes:
    the command-line checks still run from the .deb's own folder."""
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="sd-smoke-deb-") as tmp:
        root = Path(tmp)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        info = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Depends"], capture_output=True, text=True)
        layout = []
        launcher = root / "usr" / "bin" / "streamdoctor"
        if not launcher.is_symlink() or os.readlink(launcher) != "/opt/streamdoctor/streamdoctor":
            layout.append("/usr/bin/streamdoctor is not a link to /opt/streamdoctor/streamdoctor")
        desktop = root / "usr" / "share" / "applications" / "streamdoctor.desktop"
        if not desktop.is_file():
            layout.append("no .desktop file")
        elif shutil.which("desktop-file-validate"):
            v = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
            if v.returncode != 0 or v.stdout.strip():
                layout.append(f"desktop-file-validate: {v.stdout.strip() or v.stderr.strip()}")
        if not (root / "usr/share/icons/hicolor/256x256/apps/streamdoctor.png").is_file():
            layout.append("no 256x256 icon")
        outcomes.append(
            Outcome(f"{deb.name}: layout", not layout, "; ".join(layout) or info.stdout.strip().replace("\n", "; "))
        )
        opt = root / "opt" / "streamdoctor"
        if tested_tree is not None and gui:
            same = tree_digest(opt) == tested_tree
            outcomes.append(
                Outcome(
                    f"{deb.name}: the same {len(tested_tree)} files as the tested tar.gz",
                    same,
                    "" if same else "the .deb's files differ from the tar.gz's: the wizard is tested on both",
                )
            )
            gui = not same
        outcomes += check_binary(opt / "streamdoctor", deb.name, gui, xcb)
    return outcomes


def gui_in_source() -> bool:
    return (ROOT / "src" / "streamdoctor" / "gui" / "app.py").is_file()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="smoke-test a frozen Stream Doctor build")
    parser.add_argument("--binary", type=Path, help="the frozen executable (default: the one in dist/)")
    parser.add_argument("--tarball", type=Path, action="append", default=[], help="a Linux .tar.gz to unpack and test")
    parser.add_argument("--deb", type=Path, action="append", default=[], help="a .deb to extract and test")
    parser.add_argument("--no-xcb", action="store_true", help="skip the Xvfb run (Linux)")
    parser.add_argument("--no-gui", action="store_true", help="only the command-line checks")
    args = parser.parse_args(argv)

    gui = not args.no_gui
    if gui and not gui_in_source():
        print("smoke_test: src/streamdoctor/gui/app.py does not exist: --self-test SKIPPED", file=sys.stderr)
        gui = False
    xcb = IS_LINUX and not args.no_xcb
    outcomes: list[Outcome] = []
    if args.tarball or args.deb:
        tested_tree = None
        for tarball in args.tarball:
            tar_outcomes, tree = check_tarball(tarball, gui, xcb)
            outcomes += tar_outcomes
            if all(o.ok for o in tar_outcomes):
                tested_tree = tree
        for deb in args.deb:
            outcomes += check_deb(deb, gui, xcb, tested_tree)
    else:
        outcomes += check_binary(args.binary or default_binary(), "build", gui, xcb)
    for o in outcomes:
        print(f"[{'PASS' if o.ok else 'FAIL'}] {o.name}" + (f": {o.detail}" if o.detail else ""), flush=True)
    failed = [o for o in outcomes if not o.ok]
    print(f"smoke_test: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
