"""The PyInstaller options every Stream Doctor build shares: the app's spec and the bench's bare wizard use them both.

Why one module: the size and start-up targets are ratios against a bare PySide6 wizard, and a ratio only means
something when both binaries are built the same way (onedir, no UPX, the same excludes, the same Qt plugins).

Imported by the .spec files (PyInstaller executes a spec as Python with Analysis/PYZ/EXE/COLLECT/BUNDLE in its
globals), so it must not import PyInstaller at module level beyond what a spec may use.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from streamdoctor.i18n.languages import SUPPORTED  # the build venv has the app installed (bootstrap.sh)

PACKAGING = Path(__file__).resolve().parent
ROOT = PACKAGING.parent

IS_WIN = sys.platform == "win32"
IS_MAC = sys.platform == "darwin"
IS_LINUX = sys.platform.startswith("linux")

# Modules nothing in the app imports at run time but that a dependency mentions somewhere (PyInstaller follows
# every import statement, even in branches never taken). `zipfile` (PyInstaller's bootstrap) and `datetime`
# (shiboken) must stay: excluding them breaks the frozen binary at start.
EXCLUDED_MODULES = [
    "tkinter",
    "_tkinter",
    "turtle",
    "turtledemo",
    "idlelib",
    "lib2to3",
    "pydoc_data",
    "doctest",
    "test",
    "distutils",
    "setuptools",
    "pkg_resources",
    "pip",
    "IPython",
    "numpy",
    "PIL",
    "matplotlib",
    "pytest",
    "_pytest",
    "hypothesis",
    # pydantic ships a mypy plugin and its v1 compatibility layer; with mypy installed (the dev venv, CI) the
    # plugin drags in all of mypy (~4 MB). The app never type-checks at run time and anthropic uses pydantic v2.
    "mypy",
    "pydantic.mypy",
    "pydantic.v1",
    # pydantic mentions rich (pretty printing in a REPL) and rich pulls pygments: 2.3 MB compressed, never used.
    "rich",
    "pygments",
    # Qt modules a wizard never uses. Excluding the Python modules keeps their hooks from collecting the Qt
    # libraries, QML files, translations and plugins that come with them.
    "PySide6.QtNetwork",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtQuickControls2",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtPrintSupport",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtSvgWidgets",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtMultimedia",
    "PySide6.QtMultimediaWidgets",
    "PySide6.Qt3DCore",
    "PySide6.QtCharts",
    "PySide6.QtDataVisualization",
    "PySide6.QtGraphs",
    # X.509 is pure Python (streamdoctor/x509); cryptography is a dev-only dependency (the tests' oracle), so it
    # sits in the build venv, and requests would reach it through urllib3.contrib.pyopenssl, a fallback for a
    # Python without SNI (never ours).
    "urllib3.contrib.pyopenssl",
    "cryptography",
    # keyring depends on SecretStorage on Linux (by marker, so it stays installed), and SecretStorage imports
    # cryptography for its DH+AES transfer encryption: 11 MiB of Rust extension, 3.9 MiB of the tar.gz. The app
    # talks to the Secret Service itself (streamdoctor/platform/secret_service.py, jeepney, "plain" session) and
    # gui/keystore.py picks that backend explicitly; keyring imports its backends lazily, so nothing run imports
    # secretstorage (the frozen --check-imports and the smoke test prove it).
    "secretstorage",
    # cffi (and its parser, pycparser) came in only for cryptography ("via cryptography" in requirements.lock);
    # nothing else the app runs uses it: 0.3 MiB of the tar.gz (_cffi_backend's .so and the bytecode).
    "cffi",
    "_cffi_backend",
    "pycparser",
]

# Qt plugins the wizard needs, per OS, as "type/name" without the file extension and "lib" prefix. Everything
# else PyInstaller's Qt hooks collect (wayland, eglfs, vnc, gtk3 theme, tls, image formats we never read, ...)
# is dropped, together with the libraries only those plugins needed.
#   xcb: the X11 desktop (on Wayland desktops Qt runs through XWayland); offscreen: headless runs and tests.
#   compose/ibus: dead keys and input methods when typing an API key or a gateway URL.
#   svg: the icons. styles: the native look on Windows 11 and macOS (Qt 6.7+ moved it into a plugin).
#   offscreen everywhere: `--self-test` defaults to it (gui/selftest.py), so the frozen self-test also runs where
#   there is no desktop session (a service, a locked CI agent); it is ~0.2 MB.
KEPT_QT_PLUGINS = {
    "linux": {
        "platforms/qxcb",
        "platforms/qoffscreen",
        "platforminputcontexts/composeplatforminputcontextplugin",
        "platforminputcontexts/ibusplatforminputcontextplugin",
        "imageformats/qsvg",
        "iconengines/qsvgicon",
    },
    "win32": {
        "platforms/qwindows",
        "platforms/qoffscreen",
        "styles/qmodernwindowsstyle",
        "imageformats/qsvg",
        "iconengines/qsvgicon",
    },
    "darwin": {
        "platforms/qcocoa",
        "platforms/qoffscreen",
        "styles/qmacstyle",
        "imageformats/qsvg",
        "iconengines/qsvgicon",
    },
}

# Files the PySide6 hooks add that a widgets-only app never loads: Mesa's software OpenGL (~20 MB on Windows, a
# fallback for QtQuick/OpenGL) and the D3D shader compiler (QtQuick's RHI). Of Qt's own translations only
# qtbase's for the languages the app speaks are kept (~0.4 MB compressed): they name what Qt draws itself, the
# text fields' context menu (Copy, Paste) and the file dialog, in the language of the pages around them.
DROPPED_FILES = {"opengl32sw.dll", "d3dcompiler_47.dll"}
QT_CATALOGS = {f"qtbase_{code}.qm" for code in SUPPORTED if code != "en"}


def _qt_translation_kept(dest: str) -> bool:
    parts = Path(dest).parts
    if "translations" not in parts or "PySide6" not in parts:
        return True
    return parts[-1] in QT_CATALOGS


def console_build() -> bool:
    """STREAMDOCTOR_CONSOLE=1 builds a console binary (tracebacks and Qt warnings visible) for debugging."""
    return os.environ.get("STREAMDOCTOR_CONSOLE", "") not in ("", "0")


def _plugin_key(dest: str) -> str | None:
    """'PySide6/Qt/plugins/platforms/libqxcb.so' -> 'platforms/qxcb'; None for anything that is not a Qt plugin."""
    parts = Path(dest).parts
    if "plugins" not in parts or "PySide6" not in parts:
        return None
    i = parts.index("plugins")
    if len(parts) < i + 3:
        return None
    stem = parts[-1].split(".")[0]
    if stem.startswith("lib") and not IS_WIN:
        stem = stem[3:]
    return f"{parts[i + 1]}/{stem}"


def _imported_names(path: str) -> set[str]:
    """Base names of the shared libraries a binary links (ldd is transitive on Linux, which is what we want)."""
    from PyInstaller.depend import bindepend

    names = set()
    try:
        for name, full in bindepend.get_imports(path):
            names.add(os.path.basename(name).lower())
            if full:
                names.add(os.path.basename(os.path.realpath(full)).lower())
                names.add(os.path.basename(full).lower())
    except Exception:  # an unreadable file: treat it as linking nothing rather than fail the build
        pass
    return names


def _closure(roots: Iterable[tuple[str, str, str]], by_name: dict[str, tuple[str, str, str]]) -> set[str]:
    """Destination names of every collected library reachable (by link-time imports) from the roots."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        dest, src, _kind = todo.pop()
        for name in _imported_names(src):
            entry = by_name.get(name)
            if entry and entry[0] not in seen:
                seen.add(entry[0])
                todo.append(entry)
    return seen


def slim(analysis: Any) -> None:
    """Drop the Qt plugins the app does not need, the libraries only they needed, Qt translations and DROPPED_FILES.

    Runs after Analysis (PyInstaller's Qt hooks collect whole plugin folders; they have no allow-list option).
    A library is removed only when it was reachable from a dropped plugin and from nothing that stays, so libraries
    a package loads with ctypes or that Python extensions link are never touched.
    """
    kept_plugins = KEPT_QT_PLUGINS.get(sys.platform if sys.platform in ("win32", "darwin") else "linux", set())
    binaries = list(analysis.binaries)
    dropped_plugins = []
    stays = []
    for entry in binaries:
        key = _plugin_key(entry[0])
        if os.path.basename(entry[0]).lower() in DROPPED_FILES:
            continue
        if key is not None and key not in kept_plugins:
            dropped_plugins.append(entry)
        else:
            stays.append(entry)
    found = {_plugin_key(e[0]) for e in stays} - {None}
    for missing in sorted(kept_plugins - found):
        # A renamed plugin in a new Qt release would otherwise vanish silently (e.g. the native style plugin).
        print(f"pyi_common.slim: WARNING: the Qt plugin {missing} was not collected (renamed in this Qt version?)")
    by_name: dict[str, tuple[str, str, str]] = {}
    for entry in binaries:
        by_name.setdefault(os.path.basename(entry[0]).lower(), entry)
        by_name.setdefault(os.path.basename(entry[1]).lower(), entry)
    only_for_dropped = _closure(dropped_plugins, by_name)
    roots = [e for e in stays if e[0] not in only_for_dropped]
    needed = _closure(roots, by_name) | {e[0] for e in roots}
    result = [e for e in stays if e[0] in needed or e[2] == "SYMLINK"]
    removed = {os.path.normpath(e[0]) for e in binaries} - {os.path.normpath(e[0]) for e in result}
    # macOS: a Qt framework whose binary went keeps no Resources/ or Versions/Current links either.
    gone_frameworks = {_framework_dir(r) for r in removed} - {None}

    def keep(entry: tuple[str, str, str]) -> bool:
        dest = os.path.normpath(entry[0])
        if _framework_dir(dest) in gone_frameworks:
            return False
        # PyInstaller links Qt libraries into the top folder (rpath lookups); drop the links whose target went.
        return entry[2] != "SYMLINK" or _symlink_target(entry) not in removed

    result = [e for e in result if keep(e)]
    print(
        f"pyi_common.slim: dropped {len(removed)} binaries: " + ", ".join(sorted(os.path.basename(r) for r in removed))
    )
    analysis.binaries = _toc_like(analysis.binaries, result)
    datas = [
        e
        for e in analysis.datas
        if _qt_translation_kept(e[0]) and keep(e)
    ]
    analysis.datas = _toc_like(analysis.datas, datas)


def _framework_dir(dest: str) -> str | None:
    """'PySide6/Qt/lib/QtPdf.framework/Versions/A/QtPdf' -> 'PySide6/Qt/lib/QtPdf.framework'; None elsewhere."""
    parts = Path(dest).parts
    for i, part in enumerate(parts):
        if part.endswith(".framework"):
            return os.path.join(*parts[: i + 1])
    return None


def _symlink_target(entry: tuple[str, str, str]) -> str:
    """Where a SYMLINK TOC entry (dest, relative target, 'SYMLINK') points, relative to the bundle root."""
    return os.path.normpath(os.path.join(os.path.dirname(entry[0]), entry[1]))


def _toc_like(original: Any, entries: list[Any]) -> Any:
    """Keep the container type PyInstaller used (a list in 6.x, a TOC class in 5.x)."""
    return type(original)(entries) if not isinstance(original, list) else entries


def windows_version_file(version: str, name: str, description: str, exe_name: str) -> str:
    """Fill packaging/windows/version_info.txt.in into build/ and return its path (PyInstaller's `version=`).

    Windows shows these fields in Explorer's Properties > Details, and SmartScreen/antivirus heuristics treat an
    exe without them with more suspicion.
    """
    numbers = [int(p) for p in (version.split("+")[0].split(".") + ["0", "0", "0", "0"])[:4] if p.isdigit()]
    numbers = (numbers + [0, 0, 0, 0])[:4]
    template = (PACKAGING / "windows" / "version_info.txt.in").read_text(encoding="utf-8")
    text = (
        template.replace("@VERSION_TUPLE@", ", ".join(str(n) for n in numbers))
        .replace("@VERSION@", version)
        .replace("@NAME@", name)
        .replace("@DESCRIPTION@", description)
        .replace("@EXE@", exe_name)
    )
    out = ROOT / "build" / f"version_info_{name}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return str(out)


def build(
    spec_globals: dict[str, Any],
    *,
    script: Path,
    name: str,
    version: str,
    description: str,
    pathex: list[str] | None = None,
    datas: list[tuple[str, str]] | None = None,
    hiddenimports: list[str] | None = None,
    bundle_name: str | None = None,
    bundle_identifier: str | None = None,
) -> None:
    """Declare the whole build (Analysis -> PYZ -> EXE -> COLLECT [-> BUNDLE on macOS]) with the shared options."""
    g = spec_globals
    console = console_build()
    a = g["Analysis"](
        [str(script)],
        pathex=pathex or [],
        datas=datas or [],
        hiddenimports=hiddenimports or [],
        excludes=EXCLUDED_MODULES,
        runtime_hooks=[str(PACKAGING / "rthook_paint_probe.py")],
        noarchive=False,
        # Bytecode without docstrings and asserts (python -OO): 1.3 MiB less to download, mostly the SDK's model
        # docstrings. Nothing in the app reads a docstring at run time (argparse help is explicit; pydantic reads
        # them only with use_attribute_docstrings, which the SDK does not set) and the app's asserts only narrow
        # types for mypy; the smoke test's stream, check and wizard runs prove the -OO build works.
        optimize=2,
    )
    slim(a)
    pyz = g["PYZ"](a.pure)
    icon = _platform_icon()
    exe = g["EXE"](
        pyz,
        a.scripts,
        [],
        exclude_binaries=True,  # onedir: a onefile build unpacks itself at every start (~0.5 s measured)
        name=name,
        debug=False,
        # Linux only: the distro-built libpython and friends carry debug info (libpython 22 MB -> ~4 MB). Windows
        # DLLs have none to strip, and stripping on macOS invalidates the code signatures of the wheels' binaries.
        strip=IS_LINUX,
        upx=False,  # UPX slows every start and trips antivirus heuristics; the tar.gz/installer compress anyway
        console=console,
        disable_windowed_traceback=False,
        argv_emulation=False,
        icon=icon,
        version=windows_version_file(version, name, description, f"{name}.exe") if IS_WIN else None,
        codesign_identity=os.environ.get("MACOS_CODESIGN_IDENTITY") or None,
        entitlements_file=str(PACKAGING / "macos" / "entitlements.plist") if IS_MAC else None,
    )
    coll = g["COLLECT"](exe, a.binaries, a.datas, strip=IS_LINUX, upx=False, name=name)
    if IS_MAC:
        g["BUNDLE"](
            coll,
            name=f"{bundle_name or name}.app",
            icon=icon,
            bundle_identifier=bundle_identifier,
            version=version,
            info_plist={
                "CFBundleName": bundle_name or name,
                "CFBundleDisplayName": bundle_name or name,
                "CFBundleShortVersionString": version,
                "CFBundleVersion": version,
                "LSMinimumSystemVersion": "11.0",
                "NSHighResolutionCapable": True,
                "NSRequiresAquaSystemAppearance": False,  # follow dark mode
                "NSHumanReadableCopyright": "MIT licence",
            },
        )


def _platform_icon() -> str | None:
    """The icon in the format the platform's executable wants, rendered from the app's SVG icon now.

    Linux executables carry no icon (the .desktop file names one), so nothing is rendered there.
    """
    if not (IS_WIN or IS_MAC):
        return None
    import subprocess

    out = ROOT / "build" / "icons"
    subprocess.run([sys.executable, str(PACKAGING / "make_icons.py"), str(out)], check=True)
    return str(out / ("streamdoctor.ico" if IS_WIN else "streamdoctor.icns"))
