"""The marking rules of streamdoctor/i18n, enforced on the whole source tree by reading it (ast).

A translator can only translate a whole sentence with named placeholders: a sentence glued from pieces, an f-string
or a positional placeholder cannot be reordered for another grammar, and a text translated at import time stays in
the language of the moment the module was loaded. Each rule here has a test of its own checker on a bad sample, so
a rule that silently stopped matching would fail.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "streamdoctor"
MARKERS = {"_", "ngettext", "N_"}
POSITIONAL = re.compile(r"(?<!\{)\{(\d*)(?:[:!][^{}]*)?\}(?!\})")


def _marker(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS:
        return node.func.id
    return None


def _builds_text(call: ast.Call) -> bool:
    """A call that makes a new text (which no catalog can hold), as opposed to a table lookup like TABLE.get(k)."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr in ("format", "join", "replace", "strip", "upper", "lower", "capitalize", "title")
    return isinstance(func, ast.Name) and func.id in ("str", "repr", "format")


def _is_translated(node: ast.AST) -> bool:
    return _marker(node) in ("_", "ngettext")


def violations(source: str, name: str = "<src>") -> list[str]:
    tree = ast.parse(source)
    out: list[str] = []

    def say(node: ast.AST, what: str) -> None:
        out.append(f"{name}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(tree):
        kind = _marker(node)
        if kind:
            assert isinstance(node, ast.Call)
            literal_args = node.args[:2] if kind == "ngettext" else node.args[:1]
            for arg in literal_args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    if POSITIONAL.search(arg.value):
                        say(node, f"positional placeholder in {arg.value[:50]!r}: name it")
                elif isinstance(arg, ast.JoinedStr):
                    say(node, "f-string passed to a translation function: use named placeholders")
                elif isinstance(arg, ast.BinOp):
                    say(node, "text glued with + or % passed to a translation function")
                elif kind == "N_" or kind == "ngettext":
                    say(node, f"{kind}() needs a string literal")
                elif isinstance(arg, ast.Call) and _builds_text(arg):
                    say(node, "_() of a text built at run time: mark the literal instead")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod) and (
                _is_translated(node.left) or _is_translated(node.right)):
            say(node, "a translated text glued with + or %: make it one sentence with placeholders")
        if isinstance(node, ast.JoinedStr) and any(
                _is_translated(sub) for v in node.values if isinstance(v, ast.FormattedValue) for sub in ast.walk(v)):
            # Babel does not look inside f-strings: such a text never reaches the catalogs (and is glued besides)
            say(node, "a translated text inside an f-string: make it one sentence with placeholders")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
                and _is_translated(node.func.value)):
            say(node, "_(...).format(): pass the values to _() so numbers follow the language")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join"
                and node.args and isinstance(node.args[0], ast.List | ast.Tuple)
                and isinstance(node.func.value, ast.Constant) and node.func.value.value in ("", " ")
                and any(_is_translated(e) for e in node.args[0].elts)):
            say(node, "a sentence joined from translated pieces: make it one sentence")

    # No translation while the module loads: module level, class bodies and default arguments
    def at_import(body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                for default in [*stmt.args.defaults, *stmt.args.kw_defaults]:
                    for sub in ast.walk(default) if default else ():
                        if _is_translated(sub):
                            say(sub, "_() in a default argument runs at import time: use N_() and _() at use")
                for deco in stmt.decorator_list:
                    for sub in ast.walk(deco):
                        if _is_translated(sub):
                            say(sub, "_() in a decorator runs at import time")
                continue
            if isinstance(stmt, ast.ClassDef):
                at_import(stmt.body)
                continue
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if _is_translated(sub) and not _inside_function(stmt, sub):
                    say(sub, "_() at import time: the language is chosen later; use N_() here and _() at use")

    at_import(tree.body)

    # `_` bound as a throwaway (`for _ in ...`, `a, _ = ...`) in a function that translates makes `_` a local name
    # there, and the call fails ("'str' object is not callable", or UnboundLocalError) instead of translating.
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and "_" in _local_names(fn) and any(
                _marker(sub) == "_" for sub in ast.walk(fn)):
            say(fn, f"{fn.name}() binds _ as a variable and also translates with _(): name the throwaway otherwise")
    return out


def _local_names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names a function binds in its own scope (comprehension variables have their own scope: not counted)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef | ast.ListComp
                          | ast.SetComp | ast.DictComp | ast.GeneratorExp):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(child.name)
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.add(child.id)
            elif isinstance(child, ast.ExceptHandler) and child.name:
                names.add(child.name)
            elif isinstance(child, ast.Import):
                names.update(a.asname or a.name.split(".")[0] for a in child.names)
            if not isinstance(child, ast.ImportFrom):  # `from ..i18n import _` inside a function is how _ arrives
                visit(child)

    visit(fn)
    return names


def _inside_function(stmt: ast.stmt, target: ast.AST) -> bool:
    for sub in ast.walk(stmt):
        if isinstance(sub, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef) and sub is not stmt:
            if any(n is target for n in ast.walk(sub)):
                return True
    return False


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts
                  and p.name != "icon_data.py")


def test_the_whole_tree_follows_the_marking_rules() -> None:
    found = []
    for path in _sources():
        found += violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, "\n".join(found)


def test_the_gui_uses_the_one_catalog_not_qt_tr() -> None:
    """Qt's tr()/translate() texts would need a second catalog system the core cannot share."""
    found = [f"{p.relative_to(ROOT)}:{n}" for p in (PACKAGE / "gui").rglob("*.py")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"QCoreApplication\.translate\(|\bself\.tr\(|\btr\(\"", line)]
    assert not found, found


@pytest.mark.parametrize(("bad", "what"), [
    ('from x import _\ndef f(n):\n    return _(f"cut after {n} s")\n', "f-string"),
    ('from x import _\ndef f(n):\n    return _("cut after ") + str(n)\n', "glued"),
    ('from x import _\ndef f(n):\n    return _("cut after {} s").format(n)\n', "positional"),
    ('from x import _\ndef f(n):\n    return _("cut after {n} s").format(n=n)\n', ".format()"),
    ("from x import _\ndef f(n):\n    return f\"{_('a')} {n}\"\n", "f-string"),
    ("from x import _\ndef f(n):\n    return f\"{n}: {str(_('a')).upper()}\"\n", "f-string"),
    ('from x import _\nTITLE = _("Results")\n', "import time"),
    ('from x import _\nclass P:\n    title = _("Results")\n', "import time"),
    ('from x import _\ndef f(t=_("x")):\n    return t\n', "default argument"),
    ('from x import _\ndef f(a):\n    return " ".join([_("a"), a])\n', "joined"),
    ('from x import ngettext\ndef f(n, s):\n    return ngettext(s, "x", n)\n', "literal"),
    ('from x import _\ndef f(a):\n    return _("cut {a}".replace("{a}", a))\n', "built at run time"),
    ('from x import _\ndef f(a):\n    for _ in a:\n        pass\n    return _("done")\n', "binds _"),
    ('from x import _\ndef f(a):\n    k, _ = a\n    return _("done {k}", k=k)\n', "binds _"),
])
def test_each_rule_catches_its_bad_sample(bad: str, what: str) -> None:
    found = violations(bad)
    assert found and any(what in line for line in found), found


def test_good_marking_passes() -> None:
    good = (
        "from x import _, ngettext, N_\n"
        "LABELS = {'a': N_('Silence before the cut')}\n"
        "def f(n, k):\n"
        "    title = _('Cut after {secs:.1f} s', secs=n)\n"
        "    label = _(LABELS[k])\n"
        "    return '\\n'.join([title, ngettext('{n} finding', '{n} findings', n)]), label\n"
    )
    assert violations(good) == []
