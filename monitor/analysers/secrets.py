"""Find server secrets in what the frontend ships to every browser, and mask them for reports.

A file is scanned as its bytes arrive (:class:`StreamScan`), with one compiled set of literals:
every pattern below contains a literal at a place its match can be found back from, so one pass
of a multi-literal matcher (Hyperscan) over the text finds every place worth asking, and the
pattern itself is tried only there. The findings are exactly those of each pattern run over the
whole file (``selftests/unit/test_secrets_scan.py`` holds the plain-regex reference).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import codecs
import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote_to_bytes, urljoin, urlsplit, urlunsplit

import hyperscan
import pybase64

# Each key pattern starts with its literal; the word boundary before a key is checked on each
# match instead of a leading \b (:func:`_matches`), so the literal is what is looked for.
PATTERNS = (
    ("Stripe secret key", re.compile(r"sk_(?:live|test)_[0-9A-Za-z]{10,}")),
    ("Stripe restricted key", re.compile(r"rk_(?:live|test)_[0-9A-Za-z]{10,}")),
    ("Stripe webhook secret", re.compile(r"whsec_[0-9A-Za-z+/=]{10,}")),
    ("OpenAI API key", re.compile(r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}")),
    ("private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")),
)
_NO_BOUNDARY = frozenset({"private key"})  # starts with "-": no word boundary before it
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
SERVICE_ROLE_JWT = "Supabase service_role JWT"


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


SCRIPT_SRC = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
# The characters \s stands for in a str pattern (those str.isspace() accepts), spelled out where a
# class runs over megabytes (an inline map's payload): a class of plain characters is a table
# look-up, one holding \s asks about each character. A unit test holds the list to str.isspace().
SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# A map's URL ends at white space, and also at a backslash or a quote: a `next dev` build ships each
# module as an eval() string whose inline map is followed by an escaped newline (the two characters
# backslash and n) and `//# sourceURL=webpack-internal:///…`, then the closing quote.
_URL_CHARS = rf"""[^{SPACE}"'`\\]"""
# A run of them, its base64 part first: the regex engine loops fastest over a class of a few ASCII
# ranges, and an inline map's payload is kilobytes long. The same run as {_URL_CHARS}+.
_URL = rf"(?:[A-Za-z0-9+/=]+{_URL_CHARS}*|{_URL_CHARS}+)"
SOURCE_MAP = re.compile(rf"//[#@]\s*sourceMappingURL=({_URL})")
INLINE_MAP = re.compile(rf"//[#@]\s*sourceMappingURL=data:application/json([^,\s\\]*),({_URL})")
# A string literal holding a script path; the optional backslash before the closing quote lets
# JSON-escaped strings (Next.js app router's flight data inside the HTML) match too.
_Q, _CHARS, _QUERY = r"""["'`]""", r"""[^"'`\s\\?#]""", r"""(?:[?#][^"'`\s\\]*)?"""
# Only a script file: built code imports its chunks by their file names, while an import() without
# one is prose (React's dev build explains lazy(() => import('./MyComponent')) in an error message).
DYNAMIC_IMPORT = re.compile(rf"""import\(\s*{_Q}((?:\.{{1,2}}/|/|https?://){_CHARS}+?\.[mc]?js){_QUERY}{_Q}\s*\)""")
NEXT_ASSET = re.compile(rf"""{_Q}((?:https?://[^/"'`\s\\]+)?/_next/static/{_CHARS}+?\.m?js){_QUERY}\\?{_Q}""")
NEXT_CHUNK = re.compile(rf"""{_Q}(static/chunks/{_CHARS}+?\.m?js)\\?{_Q}""")
BUILD_MANIFEST = "/_buildManifest.js"
_DATA_JSON = "data:application/json"
_QUOTES = frozenset("\"'`")


# -- one compiled set of literals ------------------------------------------------------------
def _at(text: str, hit: int) -> Iterator[int]:
    yield hit


def _after_comment(text: str, hit: int) -> Iterator[int]:
    """``//# sourceMappingURL=``: the match starts at the ``//`` before the literal, across white
    space (``\\s`` and ``str.isspace`` are the same set)."""
    at = hit - 1
    while at >= 0 and text[at].isspace():
        at -= 1
    if at >= 2 and text[at] in "#@" and text[at - 2 : at] == "//":
        yield at - 2


def _quoted(text: str, hit: int) -> Iterator[int]:
    if hit:
        yield hit - 1


def _quoted_or_after_origin(text: str, hit: int) -> Iterator[int]:
    """``"/_next/static/…"`` or ``"https://host/_next/static/…"``: a host holds no slash, so the
    ``://`` ends at the last slash before the literal."""
    slash = text.rfind("/", 0, hit)
    if slash >= 2 and text[slash - 2 : slash + 1] == "://":
        for scheme in ("https", "http"):
            quote = slash - 3 - len(scheme)
            if quote >= 0 and text[quote + 1 : slash - 2] == scheme:
                yield quote
    yield from _quoted(text, hit)


@dataclass(frozen=True)
class _Rule:
    """A pattern, the literal each of its matches contains, and where a match can start given a
    place that literal occurs. ``boundary``: a word character before the start vetoes the match
    (the ``\\b`` the pattern does not carry, so that its literal is what is looked for)."""

    pattern: re.Pattern[str]
    literal: str
    starts: Callable[[str, int], Iterator[int]] = _at
    boundary: bool = True


# Each pattern with the literal every match of it contains (for a key, the literal it starts with).
_KEY_LITERALS = {
    "Stripe secret key": "sk_",
    "Stripe restricted key": "rk_",
    "Stripe webhook secret": "whsec_",
    "OpenAI API key": "sk-",
    "private key": "-----BEGIN ",
}
_LEAK_RULES = (
    *((kind, _Rule(pattern, _KEY_LITERALS[kind], boundary=kind not in _NO_BOUNDARY)) for kind, pattern in PATTERNS),
    (SERVICE_ROLE_JWT, _Rule(JWT, "eyJ")),
)
_MAP_COMMENT = _Rule(SOURCE_MAP, "sourceMappingURL=", _after_comment, boundary=False)
_INLINE_MAP = _Rule(INLINE_MAP, "sourceMappingURL=", _after_comment, boundary=False)
_IMPORT = _Rule(DYNAMIC_IMPORT, "import(")
_ASSET = _Rule(NEXT_ASSET, "/_next/static/", _quoted_or_after_origin, boundary=False)
_CHUNK = _Rule(NEXT_CHUNK, "static/chunks/", _quoted, boundary=False)
LITERALS = tuple(
    dict.fromkeys(rule.literal for rule in [*(rule for _, rule in _LEAK_RULES), _MAP_COMMENT, _IMPORT, _ASSET, _CHUNK])
)

Hits = dict[str, list[int]]


@cache
def _database() -> hyperscan.Database:
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    expressions = [b"".join(b"\\x%02x" % byte for byte in literal.encode()) for literal in LITERALS]
    database.compile(
        expressions=expressions, ids=list(range(len(LITERALS))), elements=len(LITERALS), flags=[0] * len(LITERALS)
    )
    return database


_scratch = threading.local()  # Hyperscan scans without the GIL: each thread its own scratch space


def _hits(text: str) -> Hits:
    """Where each literal occurs in ``text``, in order. ASCII text (nearly every script) goes to
    Hyperscan in one pass, its byte offsets being character offsets; other text, literal by
    literal."""
    hits: Hits = {literal: [] for literal in LITERALS}
    if not text.isascii():
        for literal in LITERALS:
            found, at = hits[literal], text.find(literal)
            while at >= 0:
                found.append(at)
                at = text.find(literal, at + 1)
        return hits
    database = _database()
    scratch = getattr(_scratch, "space", None)
    if scratch is None:
        scratch = _scratch.space = hyperscan.Scratch(database)
    by_id = [(hits[literal], len(literal)) for literal in LITERALS]

    def hit(literal: int, start: int, end: int, flags: int, context: object) -> None:
        into, length = by_id[literal]
        into.append(end - length)

    database.scan(text.encode("ascii"), match_event_handler=hit, scratch=scratch)
    return hits


def _matches(rule: _Rule, text: str, hits: Iterable[int]) -> Iterator[re.Match[str]]:
    """What ``rule.pattern.finditer(text)`` gives (with the word boundary when the rule has one),
    trying the pattern only where a match can start."""
    at = 0
    for start in sorted({start for hit in hits for start in rule.starts(text, hit)}):
        if start < at or (match := rule.pattern.match(text, start)) is None:
            continue
        if rule.boundary and start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            continue
        yield match
        at = max(match.end(), start + 1)


def _where(source: str, text: str, offset: int, lines_before: int = 0) -> str:
    line = lines_before + text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{source}:{line}:{column}"


def _service_role(token: str) -> bool:
    claims = jwt_claims(token)
    return claims is not None and claims.get("role") == "service_role"


def _leaks_by_kind(text: str, hits: Hits) -> Iterator[tuple[str, re.Match[str]]]:
    for kind, rule in _LEAK_RULES:
        for match in _matches(rule, text, hits[rule.literal]):
            if kind != SERVICE_ROLE_JWT or _service_role(match.group(0)):
                yield kind, match


def _leak(kind: str, match: re.Match[str], where: str) -> Leak:
    if kind == "private key":
        return Leak(kind, match.group(0), where)
    if kind == SERVICE_ROLE_JWT:
        return Leak(kind, f"eyJ…(role=service_role, {len(match.group(0))} chars)", where)
    return Leak(kind, mask(match.group(0)), where)


def _b64decode(data: str) -> bytes:
    """What ``base64.b64decode(data, validate=True)`` gives, faster: pybase64's SIMD decoder
    takes what is valid (it refuses some padding the standard library takes), and binascii's
    strict mode, which accepts exactly what that call does without its regex pass, has the rest."""
    try:
        return pybase64.b64decode(data, validate=True)
    except binascii.Error:
        return binascii.a2b_base64(data, strict_mode=True)


def _decoded_map(parameters: str, payload: str) -> str | None:
    try:
        if ";base64" in parameters:
            padded = payload.replace("-", "+").replace("_", "/") + "=" * (-len(payload) % 4)
            raw = _b64decode(padded)
        else:
            raw = unquote_to_bytes(payload)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _map_leaks(maps: list[str], source: str) -> list[tuple[int, Leak]]:
    """The leaks in many decoded maps in one pass: they are joined by newlines, which no key
    pattern crosses and which is no word character; each leak is placed in its own map."""
    joined = "\n".join(maps)
    starts = [0]
    for text in maps[:-1]:
        starts.append(starts[-1] + len(text) + 1)
    rank = {kind: n for n, (kind, _) in enumerate(_LEAK_RULES)}
    found = []
    for kind, match in _leaks_by_kind(joined, _hits(joined)):
        index = bisect.bisect_right(starts, match.start()) - 1
        offset = match.start() - starts[index]
        where = _where(f"{source} (inline source map)", maps[index], offset)
        found.append(((index, rank[kind], match.start()), _leak(kind, match, where)))
    found.sort(key=lambda pair: pair[0])
    return [(key[0], leak) for key, leak in found]


# -- one file as it streams in ---------------------------------------------------------------
# A line break after one of these (and white space) may sit inside a match (`//#` and `import(`
# take white space before what follows; so does the `)` after an import's closing quote).
_OPEN_AT_LINE_END = frozenset("#@(\"'`")


def _safe_cut(text: str, tries: int = 8) -> int:
    """The end of the last line after which no pattern can go on, or 0: every character class of
    the patterns refuses a line break except the white space after ``//#``, ``import(`` and a
    closing quote."""
    newline = text.rfind("\n")
    while newline >= 0 and tries:
        at = newline
        while at >= 0 and text[at].isspace():
            at -= 1
        if at < 0 or text[at] not in _OPEN_AT_LINE_END:
            return newline + 1
        newline, tries = text.rfind("\n", 0, at), tries - 1
    return 0


@dataclass
class ScannedFile:
    """What one file holds, in the order a whole-file scan would list it."""

    digest: str
    size: int
    leaks: list[Leak]
    maps: list[bool]  # each inline source map in turn: decoded (True) or not
    scripts: list[str]  # a page's <script src>, as written
    runtime: list[tuple[str, bool]]  # see :func:`runtime_scripts`
    source_map: str | None  # a script's source map, not inline: see :func:`source_map_url`


# Text is scanned in pieces of at least this many characters: each pass has a fixed cost, and
# the network hands over a few kilobytes at a time.
SEGMENT = 1 << 18


class StreamScan:
    """One file's scan, fed its bytes as they arrive (``kind``: "page", "script" or "source map").
    Once ``segment`` characters wait, text is scanned up to the last line break no match can
    cross; the rest waits for more bytes.
    A page's script tags are read from the whole page at the end (a tag may span lines). Pure: it
    is handed bytes and never fetches."""

    def __init__(self, source: str, url: str, encoding: str = "utf-8", kind: str = "script", segment: int = SEGMENT):
        self.source, self.url, self.kind, self.segment = source, url, kind, segment
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._hash = hashlib.sha256()
        self._size = 0
        self._waiting: list[str] = []
        self._waited = 0  # characters waiting
        self._enough = segment  # characters to wait for before the next try at a cut
        self._lines = 0  # line breaks before what waits
        self._page: list[str] = []
        self._keys: dict[str, list[Leak]] = {kind: [] for kind, _ in _LEAK_RULES}
        self._maps: list[bool] = []
        self._map_leaks: list[Leak] = []
        self._imports: list[tuple[str, bool]] = []
        self._assets: list[tuple[str, bool]] = []
        self._chunks: list[tuple[str, bool]] = []
        self._source_map: str | None = None
        self._manifest = urlsplit(url).path.endswith(BUILD_MANIFEST)
        self._root = _next_root(url)

    def feed(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self._size += len(chunk)
        piece = self._decoder.decode(chunk)
        self._waiting.append(piece)
        self._waited += len(piece)
        if self._waited < self._enough or "\n" not in piece:
            return
        text = "".join(self._waiting)
        cut = _safe_cut(text)
        self._waiting, self._waited = [text[cut:]], len(text) - cut
        # no cut: wait for twice as much before trying again, so text never waits to be joined
        # more than a few times over
        self._enough = self.segment if cut else 2 * len(text)
        if cut:
            self._scan(text[:cut])

    def finish(self) -> ScannedFile:
        text = "".join([*self._waiting, self._decoder.decode(b"", final=True)])
        self._waiting = []
        if text:
            self._scan(text)
        page = "".join(self._page)
        return ScannedFile(
            digest=self._hash.hexdigest(),
            size=self._size,
            leaks=[leak for leaks in self._keys.values() for leak in leaks] + self._map_leaks,
            maps=self._maps,
            scripts=script_sources(page) if self.kind == "page" else [],
            runtime=self._imports + self._assets + self._chunks,
            source_map=None if self._source_map is None or self._source_map.startswith("data:") else self._source_map,
        )

    def _scan(self, text: str) -> None:
        hits = _hits(text)
        for kind, match in _leaks_by_kind(text, hits):
            self._keys[kind].append(_leak(kind, match, _where(self.source, text, match.start(), self._lines)))
        if self.kind == "page":
            self._page.append(text)
        if self.kind != "source map":
            self._discover(text, hits)
        self._lines += text.count("\n")

    def _discover(self, text: str, hits: Hits) -> None:
        maps = [_decoded_map(*m.groups()) for m in self._map_comments(text, hits[_INLINE_MAP.literal])]
        self._maps += [decoded is not None for decoded in maps]
        if decoded := [text for text in maps if text is not None]:
            self._map_leaks += [leak for _, leak in _map_leaks(decoded, self.source)]
        self._imports += [(urljoin(self.url, m.group(1)), True) for m in _matches(_IMPORT, text, hits[_IMPORT.literal])]
        self._assets += [(urljoin(self.url, m.group(1)), False) for m in _matches(_ASSET, text, hits[_ASSET.literal])]
        self._chunks += [
            (urljoin(self._root, m.group(1)), self._manifest) for m in _matches(_CHUNK, text, hits[_CHUNK.literal])
        ]

    def _map_comments(self, text: str, hits: list[int]) -> Iterator[re.Match[str]]:
        """The inline maps (``INLINE_MAP``'s matches), and for a script the last source-map comment
        (``SOURCE_MAP``'s): both start at the same ``//#``. Where an inline map's parameters hold no
        quote the comment's URL is the same run of characters, so its end is known without running
        the pattern again over a payload of kilobytes."""
        inline_at = comment_at = 0
        for start in sorted({start for hit in hits for start in _after_comment(text, hit)}):
            inline = INLINE_MAP.match(text, start) if start >= inline_at else None
            if inline is not None:
                inline_at = inline.end()
                yield inline
            if self.kind != "script" or start < comment_at:
                continue
            if inline is not None and not _QUOTES.intersection(inline.group(1)):
                comment_at, self._source_map = inline.end(), text[inline.start(1) - len(_DATA_JSON) : inline.end()]
            elif (comment := SOURCE_MAP.match(text, start)) is not None:
                comment_at, self._source_map = comment.end(), comment.group(1)


def scan_text(text: str, source: str = "", url: str = "", kind: str = "script") -> ScannedFile:
    """A whole text at once: the same scan, fed once."""
    scan = StreamScan(source, url, kind=kind)
    scan.feed(text.encode())
    return scan.finish()


# -- the same findings, asked of a whole text ----------------------------------------------
def find_leaks(text: str, source: str) -> list[Leak]:
    return scan_text(text, source, kind="source map").leaks


def script_sources(html: str) -> list[str]:
    return SCRIPT_SRC.findall(html)


def source_map_url(script: str) -> str | None:
    return scan_text(script).source_map


def inline_source_maps(script: str) -> list[str | None]:
    """Source maps carried inside the script as ``data:`` URLs, decoded; ``None`` for one that
    cannot be decoded (so the caller can say it went unchecked rather than pass over it)."""
    return [_decoded_map(*m.groups()) for m in _matches(_INLINE_MAP, script, _hits(script)[_INLINE_MAP.literal])]


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
    return scan_text(text, url=url).runtime
