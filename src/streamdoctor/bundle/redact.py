"""Redaction: every string that goes into a bundle passes through one Redactor, which counts what it removed.

Two layers, because one slip leaks a key to a whole IT department:
1. Structure-aware: `redact_obj` walks dicts and lists (never the serialized JSON, whose escaping a regex could
   break), redacts values whose *name* says they are secret (an `x-api-key` header pair, an `ANTHROPIC_API_KEY`
   key), and runs the text patterns over every other string.
2. A final byte scan (`scrub_bytes`) of every rendered file for the secrets we know by value (the API key in
   the environment, proxy passwords, every value the patterns removed), in raw, JSON-, HTML- and URL-escaped
   form. It should find nothing; if it does, it removes it anyway.

Placeholders use only characters that are inert in JSON, HTML, SVG and text (`[redacted:kind]`), so a
replacement can never break the file it lands in.
"""

from __future__ import annotations

import base64
import getpass
import html
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .pseudonyms import PseudonymMap, own_host_names, own_host_re, replace_private_ipv6

USER_PLACEHOLDER = "[user]"

# Header names whose values are credentials wherever they appear (HAR pairs, dict keys, log text).
SECRET_HEADERS = frozenset({
    "authorization", "proxy-authorization", "x-api-key", "api-key", "x-auth-token", "cookie", "set-cookie",
    "anthropic-api-key", "x-goog-api-key", "ocp-apim-subscription-key",
})
_HEADER_KIND = {"cookie": "cookie", "set-cookie": "cookie", "x-api-key": "api-key", "api-key": "api-key",
                "anthropic-api-key": "api-key"}

# Names (env vars, JSON keys) whose values are secrets. Case-sensitive upper-case forms for env vars so that
# ordinary keys like "max_tokens" are left alone; explicit lower/camel-case forms for JSON settings.
_SECRET_ENV_NAME = (r"[A-Z][A-Z0-9_]*(?:API_?KEY|_TOKEN|SECRET|PASSWORD|PASSWD|_PWD|CUSTOM_HEADERS|_COOKIE)"
                    r"(?:_[A-Z0-9_]+)?")
_SECRET_JSON_NAME = (r"(?i:(?:[a-z0-9]+[_\-])*(?:api[_-]?key|apikey|auth[_-]?token|access[_-]?token|refresh[_-]?token"
                     r"|id[_-]?token|client[_-]?secret|secret|password|passwd|session[_-]?key|private[_-]?key))")
_SECRET_NAME_RE = re.compile(rf"^(?:{_SECRET_ENV_NAME}|{_SECRET_JSON_NAME}|TOKEN)$")

AUTH_SCHEMES = ("Bearer", "Basic", "Digest", "Negotiate", "NTLM", "Token", "AWS4-HMAC-SHA256")
_PRIVATE_KEY_RE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)
_API_KEY_RE = re.compile(r"sk-ant-[A-Za-z0-9_\-]{6,}")
_URL_CREDS_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^\s/?#\"'<>@]+(?:@[^\s/?#\"'<>@]+)*)@(?=[^\s/?#\"'<>]+)")
_HEADER_TEXT_RE = re.compile(
    r"(?i)(?<![\w-])(" + "|".join(re.escape(h) for h in sorted(SECRET_HEADERS, key=len, reverse=True)) + r")"
    r"(\s*[\"']?\s*[:=]\s*[\"']?\s*|[\"']\s*,\s*b?[\"'])([^\r\n\"']+)"
)
_ENV_TEXT_RE = re.compile(
    rf"(?<![A-Za-z0-9_])({_SECRET_ENV_NAME}|{_SECRET_JSON_NAME})([\"']?\s*[:=]\s*[\"']?)([^\s\"',;&}}]+)"
)
_TOKEN_RE = re.compile(
    r"\b(" + "|".join(AUTH_SCHEMES) + r")(\s+)(?=[A-Za-z._~+/=\-]*[0-9._~+/=\-])([A-Za-z0-9._~+/=\-]{8,})"
)
_QUERY_SECRET_RE = re.compile(
    r"(?i)([?&](?:key|api_key|apikey|token|access_token|auth|sig|signature|password|secret)=)([^&#\s\"'<>]+)"
)
_EMAIL_RE = re.compile(r"(?<![\w.%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b")

# Private, shared (CGNAT) and link-local IPv4; unique-local and link-local IPv6. Loopback is kept: it is the
# same on every machine and the lab lives there.
_PRIVATE_IP_RE = re.compile(
    r"(?<![\d.])(?:10\.\d{1,3}\.\d{1,3}\.\d{1,3}|172\.(?:1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}"
    r"|192\.168\.\d{1,3}\.\d{1,3}|100\.(?:6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d{1,3}\.\d{1,3}"
    r"|169\.254\.\d{1,3}\.\d{1,3})(?!\.?\d)"
    r"|(?i:(?<![0-9a-f:])(?:f[cd][0-9a-f]{2}|fe80):(?::?[0-9a-f]{1,4}){1,7}(?![0-9a-f:]))"
)
INTERNAL_SUFFIXES = ("local", "lan", "internal", "intranet", "corp", "home", "localdomain", "private", "priv",
                     "home.arpa")
_INTERNAL_HOST_RE = re.compile(
    r"(?i)(?<![\w.\-])(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:"
    + "|".join(re.escape(s) for s in INTERNAL_SUFFIXES) + r")(?![\w\-]|\.[a-z0-9])"
)
# Hosts that are the same for everyone: never pseudonymized, so IT still sees what to exempt.
PUBLIC_HOST_SUFFIXES = ("anthropic.com", "claude.ai", "claude.com", "localhost")

# Cheap substring hints that gate the costlier patterns (lower-case text).
_HEADER_HINTS = ("authorization", "api-key", "cookie", "auth-token", "subscription-key")
_NAME_HINTS = ("key", "token", "secret", "passw", "pwd", "header", "cookie")
# Substrings (lower-case) without which none of the patterns can match: a line with none of them skips them all.
GATE_HINTS = ("://", "@", "authoriz", "cookie", "key", "token", "secret", "passw", "pwd", "header", "bearer",
              "basic", "digest", "negotiate", "ntlm", "aws4", "private", "=", "sk-ant-")
_DIGIT_DOT_RE = re.compile(r"\d\.\d")
LINE_WISE_MIN = 4096
CLEAN_CACHE_MAX_LEN = 200

PROXY_ENV_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
MIN_KNOWN_SECRET_LEN = 6


def is_secret_name(name: str) -> bool:
    """True for env var, JSON key or header names whose value is a credential."""
    return name.lower() in SECRET_HEADERS or bool(_SECRET_NAME_RE.match(name))


def placeholder(kind: str) -> str:
    return f"[redacted:{kind}]"


# The advice's own example of where a proxy login goes (rules/network.py: HTTPS_PROXY=http://USER:PASSWORD@...):
# words for the user, not a login; redacting it at the source left the advice unreadable.
ADVICE_CREDENTIALS = "USER:PASSWORD"


def _is_placeholder(text: str) -> bool:
    return text.startswith("[redacted") or text.startswith(USER_PLACEHOLDER) or text == ADVICE_CREDENTIALS


class Redactor:
    """Removes secrets from strings and structures, counting removals per kind, and remembers every value it
    removed so the final byte scan can look for it in the rendered files."""

    def __init__(
        self,
        *,
        redact_user: bool = True,
        pseudonymize_hosts: bool = False,
        environ: dict[str, str] | None = None,
        user_name: str | None = None,
        home: str | None = None,
        extra_secrets: Iterable[str] = (),
        pseudonyms: PseudonymMap | None = None,
    ) -> None:
        self.redact_user = redact_user
        self.pseudonymize_hosts = pseudonymize_hosts
        self.counts: Counter[str] = Counter()
        env = dict(os.environ if environ is None else environ)
        self.known_secrets: set[str] = set()
        self._known_cache: tuple[int, re.Pattern[str]] | None = None
        self._known_bytes_cache: tuple[int, re.Pattern[bytes] | None] | None = None
        self._hosts_cache: tuple[tuple[str, ...], re.Pattern[str]] | None = None
        self._clean: set[str] = set()
        self._user_names: tuple[str, ...] = ()
        self._known_forms: tuple[bytes, ...] = ()
        for name, value in env.items():
            if is_secret_name(name):
                self._remember(value)
        for var in PROXY_ENV_VARS:
            self._remember_url_credentials(env.get(var, ""))
        for secret in extra_secrets:
            self._remember(secret)
        self._user_re: re.Pattern[str] | None = None
        self._user_bytes_re: re.Pattern[bytes] | None = None
        if redact_user:
            self._compile_user_patterns(user_name, home, env)
        self.pseudonyms = pseudonyms if pseudonyms is not None else (PseudonymMap() if pseudonymize_hosts else None)
        self.internal_hosts: set[str] = set()
        self._own_host_re: re.Pattern[str] | None = None
        if pseudonymize_hosts:
            self._learn_internal_hosts(env)
            self._own_host_re = own_host_re(own_host_names())

    # --- what we know by value ------------------------------------------------------------------------

    def _remember(self, value: str) -> None:
        value = value.strip()
        if (len(value) >= MIN_KNOWN_SECRET_LEN and not value.isdigit() and not _is_placeholder(value)
                and value not in self.known_secrets):
            self.known_secrets.add(value)
            self._clean.clear()  # a string found clean before may contain this value

    def _remember_url_credentials(self, url: str) -> None:
        try:
            parts = urlsplit(url if "://" in url else f"http://{url}")
            user, password = parts.username, parts.password
        except ValueError:
            return
        for v in (user, password):
            if v:
                self._remember(unquote(v))
        if user and password:
            self._remember(base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode())

    def _compile_user_patterns(self, user_name: str | None, home: str | None, env: dict[str, str]) -> None:
        names: set[str] = set()
        try:
            names.add(user_name if user_name is not None else getpass.getuser())
        except (OSError, KeyError, ImportError):
            pass
        home_path = home if home is not None else env.get("HOME") or env.get("USERPROFILE") or str(Path.home())
        base = re.split(r"[/\\]", home_path.rstrip("/\\"))[-1] if home_path else ""
        if base and base.lower() not in ("home", "users", ""):
            names.add(base)
        names = {n for n in names if n and n.strip() and len(n) >= 2}
        if not names:
            return
        self._user_names = tuple(n.lower() for n in names)
        alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        # The name as a whole path component (/home/NAME, C:\Users\NAME, ~NAME), not inside other words.
        self._user_re = re.compile(rf"(?i)(?:(?<=[/\\])|(?<=~))(?:{alt})(?![\w.\-]*[\w\-])")
        self._user_bytes_re = re.compile(
            rf"(?i)(?:(?<=[/\\])|(?<=~))(?:{alt})(?![\w.\-]*[\w\-])".encode()
        )

    def _learn_internal_hosts(self, env: dict[str, str]) -> None:
        import socket

        try:
            self.internal_hosts.add(socket.gethostname().lower())
        except OSError:
            pass
        for var in (*PROXY_ENV_VARS, "NO_PROXY", "no_proxy"):
            for item in env.get(var, "").split(","):
                self.add_internal_host(item)
        for domain in search_domains():
            self.internal_hosts.add(domain.lower())

    def add_internal_host(self, url_or_host: str) -> None:
        """Mark a host (or the host of a URL) as internal: it and its subdomains get a pseudonym."""
        text = url_or_host.strip().lstrip(".*")
        if not text:
            return
        try:
            host = urlsplit(text if "://" in text else f"http://{text}").hostname or ""
        except ValueError:
            return
        host = host.lower()
        if host and not _is_public_host(host) and not _looks_like_ip(host):
            self.internal_hosts.add(host)

    # --- strings ----------------------------------------------------------------------------------------

    def text(self, s: str) -> str:
        """Redact one string (a log, a command output, a summary...)."""
        if not s or s in self._clean:
            return s
        if len(s) > LINE_WISE_MIN and "\n" in s:
            # Big texts (logs) line by line: each line passes only the patterns its cheap hints allow, so a
            # 2 MB log costs what its few interesting lines cost. PEM keys span lines: they go first, whole.
            if "PRIVATE KEY" in s:
                s = _PRIVATE_KEY_RE.sub(self._counted("private-key", keep_secret=False), s)
            whole = s.lower()
            hints = tuple(h for h in GATE_HINTS if h in whole)  # hints absent from the whole text: no line has them
            return "".join(self._line(line, hints) for line in s.splitlines(keepends=True))
        out = self._line(s, GATE_HINTS)
        if out == s and len(s) <= CLEAN_CACHE_MAX_LEN:
            self._clean.add(s)  # repeated strings (event names, labels) are checked once
        return out

    def _line(self, s: str, hints: tuple[str, ...]) -> str:
        low = s.lower()
        if not any(h in low for h in hints):  # most log lines: none of the patterns below could match
            return self._by_value(s, low)
        if "PRIVATE KEY" in s:
            s = _PRIVATE_KEY_RE.sub(self._counted("private-key", keep_secret=False), s)
        if "://" in s and "@" in s:
            s = _URL_CREDS_RE.sub(self._url_creds, s)
        if any(h in low for h in _HEADER_HINTS):
            s = _HEADER_TEXT_RE.sub(self._header_text, s)
        if "=" in s and ("?" in s or "&" in s):
            s = _QUERY_SECRET_RE.sub(self._query, s)
        if ("=" in s or ":" in s) and any(h in low for h in _NAME_HINTS):
            s = _ENV_TEXT_RE.sub(self._env_text, s)
        if any(scheme in s for scheme in AUTH_SCHEMES):
            s = _TOKEN_RE.sub(self._token, s)
        if "sk-ant-" in s:
            s = _API_KEY_RE.sub(self._counted("api-key"), s)
        if "@" in s:
            s = _EMAIL_RE.sub(self._counted("email"), s)
        return self._by_value(s, s.lower())

    def _by_value(self, s: str, low: str) -> str:
        """Known secret values, the user name in paths and (optionally) host pseudonyms."""
        known = self._known_str_re()  # after the patterns, so the counts say what kind of secret it was
        if known is not None and any(k in s for k in self.known_secrets):
            s = known.sub(self._counted("known-secret", keep_secret=False), s)
        if self._user_re is not None and any(n in low for n in self._user_names):
            s = self._user_re.sub(self._user, s)
        if self.pseudonymize_hosts and self.pseudonyms is not None:
            s = self._pseudonymize(s, low)
        return s

    def _known_str_re(self) -> re.Pattern[str] | None:
        """Secrets known by value (env, proxy passwords, values already removed once), found anywhere."""
        if not self.known_secrets:
            return None
        if self._known_cache is None or self._known_cache[0] != len(self.known_secrets):
            alt = "|".join(re.escape(k) for k in sorted(self.known_secrets, key=len, reverse=True))
            self._known_cache = (len(self.known_secrets), re.compile(alt))
            self._clean.clear()  # a string that was clean may contain the secret just learned
        return self._known_cache[1]

    def _counted(self, kind: str, keep_secret: bool = True) -> Callable[[re.Match[str]], str]:
        def sub(m: re.Match[str]) -> str:
            if keep_secret:
                self._remember(m.group(0))
            self.counts[kind] += 1
            return placeholder(kind)

        return sub

    def _url_creds(self, m: re.Match[str]) -> str:
        creds = m.group(2)
        if _is_placeholder(creds):
            return m.group(0)
        user, _, password = creds.partition(":")
        self._remember(unquote(user))
        if password:
            self._remember(unquote(password))
            self._remember(base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode())
        self.counts["url-credentials"] += 1
        return f"{m.group(1)}{placeholder('url-credentials')}@"

    def _header_text(self, m: re.Match[str]) -> str:
        name, sep, value = m.group(1), m.group(2), m.group(3)
        return f"{name}{sep}{self.header_value(name, value)}"

    def header_value(self, name: str, value: str) -> str:
        """A secret header's value: the auth scheme stays (IT wants to see Basic vs Negotiate), the rest goes."""
        stripped = value.strip()
        if not stripped or _is_placeholder(stripped):
            return value
        kind = _HEADER_KIND.get(name.lower(), "auth-header")
        scheme, _, rest = stripped.partition(" ")
        if scheme in AUTH_SCHEMES and rest.strip():
            if _is_placeholder(rest.strip()):
                return value
            self._remember(rest)
            self._remember_basic(scheme, rest)
            self.counts[kind] += 1
            return f"{scheme} {placeholder(kind)}"
        self._remember(stripped)
        self.counts[kind] += 1
        return placeholder(kind)

    def _remember_basic(self, scheme: str, token: str) -> None:
        if scheme != "Basic":
            return
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except ValueError:
            return
        user, _, password = decoded.partition(":")
        self._remember(password)

    def _env_text(self, m: re.Match[str]) -> str:
        value = m.group(3)
        if _is_placeholder(value) or value in AUTH_SCHEMES:
            return m.group(0)
        self._remember(value)
        self.counts["secret-setting"] += 1
        return f"{m.group(1)}{m.group(2)}{placeholder('secret-setting')}"

    def _token(self, m: re.Match[str]) -> str:
        if _is_placeholder(m.group(3)):
            return m.group(0)
        self._remember(m.group(3))
        self._remember_basic(m.group(1), m.group(3))
        self.counts["token"] += 1
        return f"{m.group(1)}{m.group(2)}{placeholder('token')}"

    def _query(self, m: re.Match[str]) -> str:
        if _is_placeholder(unquote(m.group(2))):
            return m.group(0)
        self._remember(unquote(m.group(2)))
        self.counts["url-secret"] += 1
        return f"{m.group(1)}{placeholder('url-secret')}"

    def _user(self, m: re.Match[str]) -> str:
        self.counts["user-name"] += 1
        return USER_PLACEHOLDER

    def _pseudonymize(self, s: str, low: str) -> str:
        assert self.pseudonyms is not None
        pm = self.pseudonyms

        def ip(m: re.Match[str]) -> str:
            self.counts["private-ip"] += 1
            return pm.ip(m.group(0))

        def host(m: re.Match[str]) -> str:
            name = m.group(0)
            if pm.is_pseudonym(name) or _is_public_host(name.lower()):
                return name
            self.counts["internal-host"] += 1
            return pm.host(name)

        def ip6(canonical: str) -> str:
            self.counts["private-ip"] += 1
            return pm.ip(canonical)

        if "f" in low and ":" in s:  # first, so every written form of one address gets the same pseudonym
            s = replace_private_ipv6(s, ip6)
        if _DIGIT_DOT_RE.search(s) or "f" in low:
            s = _PRIVATE_IP_RE.sub(ip, s)
        if self._own_host_re is not None:
            s = self._own_host_re.sub(host, s)  # this computer's name, also glued into file names
        if self.internal_hosts and any(h in low for h in self.internal_hosts):
            s = self._known_hosts_re().sub(host, s)
        if any("." + suffix in low for suffix in INTERNAL_SUFFIXES):
            s = _INTERNAL_HOST_RE.sub(host, s)
        return s

    def _known_hosts_re(self) -> re.Pattern[str]:
        key = tuple(sorted(self.internal_hosts))
        cached = self._hosts_cache
        if cached is None or cached[0] != key:
            alt = "|".join(re.escape(h) for h in sorted(self.internal_hosts, key=len, reverse=True))
            # The host itself or any subdomain of it, as a whole name.
            pattern = re.compile(rf"(?i)(?<![\w\-.])(?:[a-z0-9\-]+\.)*(?:{alt})(?![\w\-]|\.[a-z0-9])")
            self._hosts_cache = (key, pattern)
            return pattern
        return cached[1]

    # --- structures -------------------------------------------------------------------------------------

    def obj(self, value: Any) -> Any:
        """Redact a JSON-able structure: names that say 'secret' hide their value; every string is redacted."""
        if value is None or isinstance(value, int | float):
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for k, v in value.items():
                key = self.text(k) if isinstance(k, str) else k
                if isinstance(k, str) and is_secret_name(k) and isinstance(v, str) and v:
                    out[key] = self._secret_value(k, v)
                else:
                    out[key] = self.obj(v)
            return out
        if isinstance(value, list | tuple):
            if (len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], str)
                    and is_secret_name(value[0]) and value[1]):
                return [self.text(value[0]), self._secret_value(value[0], value[1])]
            return [self.obj(v) for v in value]
        return value

    def _secret_value(self, name: str, value: str) -> str:
        if name.lower() in SECRET_HEADERS:
            return self.header_value(name, value)
        if _is_placeholder(value):
            return value
        self._remember(value)
        self.counts["secret-setting"] += 1
        return placeholder("secret-setting")

    def learn(self, *items: Any) -> None:
        """A dry run over everything that will be redacted: collects secret values (and pseudonyms) so the real
        pass removes a value everywhere, not only after the place where a pattern first recognised it."""
        for item in items:
            self.obj(item)
        self.counts.clear()

    # --- the last line of defence ----------------------------------------------------------------------

    def scrub_bytes(self, data: bytes) -> tuple[bytes, int]:
        """Remove every known secret (in raw, JSON, HTML and URL-escaped form) and user path components from
        rendered bytes. Returns the bytes and how many removals it had to make (0 when layer 1 did its job)."""
        found = 0
        pattern = self._known_bytes_re()
        # Plain substring tests first (fast C search): the regex only runs when something is really there.
        if pattern is not None and any(form in data for form in self._known_forms):
            data, n = pattern.subn(placeholder("known-secret").encode(), data)
            found += n
        if self._user_bytes_re is not None and any(n.encode() in data.lower() for n in self._user_names):
            data, n = self._user_bytes_re.subn(USER_PLACEHOLDER.encode(), data)
            found += n
        return data, found

    def _known_bytes_re(self) -> re.Pattern[bytes] | None:
        secrets = set(self.known_secrets)
        if self.pseudonymize_hosts and self.pseudonyms is not None:
            secrets |= {real for real in self.pseudonyms.used_real_names() if len(real) >= 4}
        if self._known_bytes_cache is not None and self._known_bytes_cache[0] == len(secrets):
            return self._known_bytes_cache[1]
        forms: set[bytes] = set()
        for s in secrets:
            for form in (s, json.dumps(s)[1:-1], html.escape(s), quote(s, safe="")):
                if form:
                    forms.add(form.encode("utf-8"))
        self._known_forms = tuple(forms)
        pattern = re.compile(b"|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))) if forms else None
        self._known_bytes_cache = (len(secrets), pattern)
        return pattern


def _is_public_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == s or host.endswith("." + s) for s in PUBLIC_HOST_SUFFIXES)


def _looks_like_ip(host: str) -> bool:
    return bool(re.fullmatch(r"[\d.]+|[0-9a-fA-F:]+", host))


def search_domains(resolv_conf: str = "/etc/resolv.conf") -> list[str]:
    """The DNS search domains (the company's internal domains on a managed laptop); empty when unknown."""
    try:
        text = Path(resolv_conf).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out: list[str] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("search", "domain"):
            out.extend(p.strip(".") for p in parts[1:] if "." in p.strip(".") and not _is_public_host(p))
    return out
