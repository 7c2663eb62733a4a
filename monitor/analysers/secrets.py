"""Find server secrets in what the frontend ships to every browser, and mask them for reports."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes, urljoin, urlsplit, urlunsplit

# Each pattern starts with a literal, which lets the regex engine skip ahead to the next place it
# occurs (tens of times faster over megabytes of script than trying every position); a leading
# \b would forbid that, so the word boundary before a key is checked on each match instead
# (:func:`after_boundary`). Compiled once, at import.
PATTERNS = (
    ("Stripe secret key", re.compile(r"sk_(?:live|test)_[0-9A-Za-z]{10,}")),
    ("Stripe restricted key", re.compile(r"rk_(?:live|test)_[0-9A-Za-z]{10,}")),
    ("Stripe webhook secret", re.compile(r"whsec_[0-9A-Za-z+/=]{10,}")),
    ("OpenAI API key", re.compile(r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}")),
    ("private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")),
)
_NO_BOUNDARY = frozenset({"private key"})  # starts with "-": no word boundary before it
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


def after_boundary(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """The matches ``\b`` + ``pattern`` would give (``pattern`` starting with a word character):
    a match preceded by a word character is dropped and the search goes on from its next
    character, so a key that starts inside it is still found."""
    at = 0
    while (match := pattern.search(text, at)) is not None:
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            at = start + 1
            continue
        yield match
        at = max(match.end(), start + 1)


@dataclass(frozen=True)
class Leak:
    kind: str
    masked: str
    where: str

    def describe(self) -> str:
        return f"{self.kind} {self.masked} in {self.where}"


def mask(secret: str) -> str:
    """Enough to recognise which key it is, never enough to use it."""
    prefix = secret[: secret.find("_", 3) + 1] if secret.startswith(("sk_", "rk_")) else secret[:6]
    return f"{prefix}…({len(secret)} chars)"


def jwt_claims(token: str) -> dict | None:
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, IndexError):
        return None
    return data if isinstance(data, dict) else None


def _where(source: str, text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{source}:{line}:{column}"


def find_leaks(text: str, source: str) -> list[Leak]:
    leaks = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text) if kind in _NO_BOUNDARY else after_boundary(pattern, text):
            shown = match.group(0) if kind == "private key" else mask(match.group(0))
            leaks.append(Leak(kind, shown, _where(source, text, match.start())))
    for match in after_boundary(JWT, text):
        claims = jwt_claims(match.group(0))
        if claims and claims.get("role") == "service_role":
            leaks.append(
                Leak(
                    "Supabase service_role JWT",
                    f"eyJ…(role=service_role, {len(match.group(0))} chars)",
                    _where(source, text, match.start()),
                )
            )
    return leaks


SCRIPT_SRC = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
# A map's URL ends at white space, and also at a backslash or a quote: a `next dev` build ships each
# module as an eval() string whose inline map is followed by an escaped newline (the two characters
# backslash and n) and `//# sourceURL=webpack-internal:///…`, then the closing quote.
_URL_CHARS = r"""[^\s"'`\\]"""
SOURCE_MAP = re.compile(rf"//[#@]\s*sourceMappingURL=({_URL_CHARS}+)")
INLINE_MAP = re.compile(rf"//[#@]\s*sourceMappingURL=data:application/json([^,\s\\]*),({_URL_CHARS}+)")
# A string literal holding a script path; the optional backslash before the closing quote lets
# JSON-escaped strings (Next.js app router's flight data inside the HTML) match too.
_Q, _CHARS, _QUERY = r"""["'`]""", r"""[^"'`\s\\?#]""", r"""(?:[?#][^"'`\s\\]*)?"""
# Only a script file: built code imports its chunks by their file names, while an import() without
# one is prose (React's dev build explains lazy(() => import('./MyComponent')) in an error message).
DYNAMIC_IMPORT = re.compile(rf"""import\(\s*{_Q}((?:\.{{1,2}}/|/|https?://){_CHARS}+?\.[mc]?js){_QUERY}{_Q}\s*\)""")
NEXT_ASSET = re.compile(rf"""{_Q}((?:https?://[^/"'`\s\\]+)?/_next/static/{_CHARS}+?\.m?js){_QUERY}\\?{_Q}""")
NEXT_CHUNK = re.compile(rf"""{_Q}(static/chunks/{_CHARS}+?\.m?js)\\?{_Q}""")
BUILD_MANIFEST = "/_buildManifest.js"
# Text each of these patterns needs: where it is absent (most files, for some), the pass over the
# file that starts at every quote or "//" is skipped.
_MAP_MARK, _ASSET_MARK, _CHUNK_MARK = "sourceMappingURL=", "/_next/static/", "static/chunks/"


def script_sources(html: str) -> list[str]:
    return SCRIPT_SRC.findall(html)


def source_map_url(script: str) -> str | None:
    found = SOURCE_MAP.findall(script) if _MAP_MARK in script else []
    return found[-1] if found and not found[-1].startswith("data:") else None


def inline_source_maps(script: str) -> list[str | None]:
    """Source maps carried inside the script as ``data:`` URLs, decoded; ``None`` for one that
    cannot be decoded (so the caller can say it went unchecked rather than pass over it)."""
    maps: list[str | None] = []
    for parameters, payload in INLINE_MAP.findall(script) if _MAP_MARK in script else ():
        try:
            if ";base64" in parameters:
                raw = base64.b64decode(
                    payload.replace("-", "+").replace("_", "/") + "=" * (-len(payload) % 4), validate=True
                )
            else:
                raw = unquote_to_bytes(payload)
            maps.append(raw.decode("utf-8"))
        except (binascii.Error, ValueError):
            maps.append(None)
    return maps


def without_query(url: str) -> str:
    """One key per file: ``main-app.js?v=1732`` and ``main-app.js?v=1733`` are the same bundle."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _next_root(url: str) -> str:
    """Where webpack's ``static/chunks/…`` paths start: the ``/_next/`` the referring file sits under
    (a basePath keeps its prefix), else the origin's own ``/_next/``."""
    parts = urlsplit(url)
    at = parts.path.find("/_next/")
    root = parts.path[: at + len("/_next/")] if at >= 0 else "/_next/"
    return urlunsplit((parts.scheme, parts.netloc, root, "", ""))


def runtime_scripts(text: str, url: str) -> list[tuple[str, bool]]:
    """Scripts that the page or script at ``url`` loads at run time, as absolute URLs, each with
    whether loading it is certain: a dynamic ``import()`` and a build manifest's chunk lists are;
    a Next.js asset path merely written in the code is only likely (it may sit in a message or a
    branch never taken), so a caller should not blame the target when it cannot be fetched."""
    manifest = urlsplit(url).path.endswith(BUILD_MANIFEST)
    found = [(urljoin(url, m.group(1)), True) for m in after_boundary(DYNAMIC_IMPORT, text)]
    if _ASSET_MARK in text:
        found += [(urljoin(url, path), False) for path in NEXT_ASSET.findall(text)]
    if _CHUNK_MARK in text:
        found += [(urljoin(_next_root(url), path), manifest) for path in NEXT_CHUNK.findall(text)]
    return found
