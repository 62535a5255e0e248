"""nginx configuration, read and patched as text: a small tokenizer/parser for `nginx -T` output and files.

Pure functions (tested on recorded `nginx -T` outputs). The patch edits only the directives it must, in place,
so the rest of the file (comments, layout) is untouched and the diff shown to the user is small.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_FILE_HEADER = re.compile(r"^# configuration file (.+):\s*$", re.MULTILINE)


@dataclass
class Directive:
    name: str
    args: list[str]
    start: int  # offset of the name
    end: int  # offset just after the ';' or the closing '}'
    children: list[Directive] | None = None  # None: a simple directive; a list: a block
    parent: Directive | None = field(default=None, repr=False)


class NginxParseError(ValueError):
    pass


def split_dump(dump: str) -> dict[str, str]:
    """`nginx -T` output -> {file path: its text}, in the order nginx printed them."""
    files: dict[str, str] = {}
    matches = list(_FILE_HEADER.finditer(dump))
    for i, m in enumerate(matches):
        body_start = m.end() + 1
        body_end = matches[i + 1].start() if i + 1 < len(matches) else len(dump)
        text = dump[body_start:body_end]
        files[m.group(1).strip()] = text[:-1] if text.endswith("\n") else text  # nginx adds one newline per file
    return files


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end); punctuation ; { } are tokens of their own; quotes are kept in the token."""
    out: list[tuple[str, int, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif c in ";{}":
            out.append((c, i, i + 1))
            i += 1
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise NginxParseError(f"unterminated quote at offset {i}")
            out.append((text[i:j + 1], i, j + 1))
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in ";{}":
                if text[j] == "$" and j + 1 < n and text[j + 1] == "{":  # ${var} is part of a word
                    k = text.find("}", j)
                    j = n if k < 0 else k + 1
                else:
                    j += 1
            out.append((text[i:j], i, j))
            i = j
    return out


def parse(text: str) -> list[Directive]:
    """The directives of one file as a tree."""
    toks = _tokens(text)
    root: list[Directive] = []
    stack: list[Directive] = []
    words: list[tuple[str, int, int]] = []
    for tok, start, end in toks:
        siblings = stack[-1].children if stack else root
        assert siblings is not None
        if tok == ";":
            if not words:
                raise NginxParseError(f"unexpected ';' at offset {start}")
            siblings.append(Directive(words[0][0], [w[0] for w in words[1:]], words[0][1], end,
                                      parent=stack[-1] if stack else None))
            words = []
        elif tok == "{":
            if not words:
                raise NginxParseError(f"unexpected '{{' at offset {start}")
            block = Directive(words[0][0], [w[0] for w in words[1:]], words[0][1], -1, [],
                              parent=stack[-1] if stack else None)
            siblings.append(block)
            stack.append(block)
            words = []
        elif tok == "}":
            if words or not stack:
                raise NginxParseError(f"unexpected '}}' at offset {start}")
            stack.pop().end = end
        else:
            words.append((tok, start, end))
    if stack or words:
        raise NginxParseError("unexpected end of file (a block or directive is not closed)")
    return root


def walk(directives: list[Directive]) -> list[Directive]:
    out = []
    for d in directives:
        out.append(d)
        if d.children:
            out.extend(walk(d.children))
    return out


def _unquote(s: str) -> str:
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'" else s


def listen_port(args: list[str]) -> int | None:
    if not args:
        return None
    addr = _unquote(args[0])
    if addr.startswith("unix:"):
        return None
    tail = addr.rsplit("]", 1)[-1]
    tail = tail.rsplit(":", 1)[-1] if ":" in tail else tail
    return int(tail) if tail.isdigit() else 80  # an address without a port listens on 80


@dataclass
class ApiLocation:
    file: str
    location: Directive
    proxy_pass: str
    why: str


def _server_of(d: Directive) -> Directive | None:
    cur = d.parent
    while cur is not None and cur.name != "server":
        cur = cur.parent
    return cur


def _upstreams(trees: dict[str, list[Directive]]) -> dict[str, list[str]]:
    ups: dict[str, list[str]] = {}
    for tree in trees.values():
        for d in walk(tree):
            if d.name == "upstream" and d.args and d.children is not None:
                ups[d.args[0]] = [c.args[0] for c in d.children if c.name == "server" and c.args]
    return ups


def find_api_locations(files: dict[str, str], base_url: str, api_host: str = "anthropic.com") -> list[ApiLocation]:
    """Locations that proxy to the API: proxy_pass to an *.anthropic.com host (directly or via an upstream), or
    the location serving /v1/messages in a server that listens on the port the check went through."""
    trees = {path: parse(text) for path, text in files.items()}
    ups = _upstreams(trees)
    target = urlsplit(base_url)
    port = target.port or (443 if target.scheme == "https" else 80)
    found: list[ApiLocation] = []
    by_server: dict[int, tuple[int, ApiLocation]] = {}
    for path, tree in trees.items():
        for d in walk(tree):
            if d.name != "location" or d.children is None:
                continue
            pp = next((c for c in d.children if c.name == "proxy_pass" and c.args), None)
            if pp is None:
                continue
            url = _unquote(pp.args[0])
            host = urlsplit(url).hostname or ""
            backends = ups.get(host, [host])
            if any(api_host in b for b in backends):
                found.append(ApiLocation(path, d, url, f"proxy_pass to {url}"))
                continue
            server = _server_of(d)
            if server is None or server.children is None:
                continue
            ports = {listen_port(c.args) for c in server.children if c.name == "listen"} or {80}
            score = _prefix_score(d.args, "/v1/messages")
            if port in ports and score >= 0:
                best = by_server.get(id(server))
                if best is None or score > best[0]:
                    by_server[id(server)] = (score, ApiLocation(path, d, url, f"serves {base_url} (listen {port})"))
    found.extend(loc for _, loc in by_server.values())
    return found


def _prefix_score(args: list[str], request_path: str) -> int:
    """How well a location matches the path: prefix length, or -1 when it does not match."""
    if not args:
        return -1
    if args[0] in ("~", "~*"):
        flags = re.IGNORECASE if args[0] == "~*" else 0
        return 1 if len(args) > 1 and re.search(_unquote(args[1]), request_path, flags) else -1
    prefix = _unquote(args[-1])
    if args[0] == "=":
        return len(prefix) if prefix == request_path else -1
    return len(prefix) if request_path.startswith(prefix) else -1


def streaming_directives(read_timeout_s: int) -> list[tuple[str, list[str]]]:
    """What the API location needs. gzip off matters as much as proxy_buffering off: measured on nginx 1.22,
    buffering alone still passes SSE to a reading client, but gzip of text/event-stream holds it back (and
    proxy_buffering off does not undo that)."""
    return [
        ("proxy_buffering", ["off"]),
        ("gzip", ["off"]),
        ("proxy_cache", ["off"]),
        ("proxy_http_version", ["1.1"]),
        ("proxy_set_header", ["Connection", '""']),
        ("proxy_read_timeout", [f"{read_timeout_s}s"]),
        ("proxy_send_timeout", [f"{read_timeout_s}s"]),
    ]


MARK = "# streaming settings added by Stream Doctor (undo: streamdoctor fix undo nginx-streaming)"


def patch_location(text: str, location: Directive, wanted: list[tuple[str, list[str]]]) -> str:
    """`text` with `wanted` directives set inside `location` (replaced in place where present, else added after
    proxy_pass). proxy_set_header lines of the enclosing blocks are copied in when the location had none, because
    nginx inherits them only into locations that set none themselves: adding Connection "" would drop them."""
    assert location.children is not None
    edits: list[tuple[int, int, str]] = []
    anchor = next(c for c in location.children if c.name == "proxy_pass")
    line_start = text.rfind("\n", 0, anchor.start) + 1
    indent = re.match(r"[ \t]*", text[line_start:]).group(0)  # type: ignore[union-attr]
    additions: list[str] = []
    own_headers = [c for c in location.children if c.name == "proxy_set_header"]
    if not own_headers:
        for inherited in _inherited_headers(location):
            if not inherited.args or inherited.args[0].lower() != "connection":
                additions.append(text[inherited.start:inherited.end])
    for name, args in wanted:
        rendered = f"{name} {' '.join(args)};"
        same = [c for c in location.children if c.name == name and c.children is None
                and (name != "proxy_set_header" or (c.args and c.args[0].lower() == args[0].lower()))]
        if same:
            for c in same:
                if text[c.start:c.end] != rendered:
                    edits.append((c.start, c.end, rendered))
        else:
            additions.append(rendered)
    if additions:
        line_end = text.find("\n", anchor.end)
        line_end = len(text) if line_end < 0 else line_end
        block = "".join(f"\n{indent}{line}" for line in [MARK, *additions])
        edits.append((line_end, line_end, block))
    out = text
    for start, end, new in sorted(edits, reverse=True):
        out = out[:start] + new + out[end:]
    return out


def _inherited_headers(location: Directive) -> list[Directive]:
    cur = location.parent
    while cur is not None and cur.children is not None:
        headers = [c for c in cur.children if c.name == "proxy_set_header"]
        if headers:
            return headers
        cur = cur.parent
    return []


def has_streaming_settings(location: Directive) -> bool:
    kids = {c.name: c.args for c in (location.children or []) if c.children is None}
    return kids.get("proxy_buffering") == ["off"]
