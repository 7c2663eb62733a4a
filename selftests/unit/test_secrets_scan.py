"""The secrets scan's discovery (scripts loaded at run time, inline source maps) and the exposure
judgement, as pure functions and as checks against a site played by httpx's MockTransport."""

import base64
import json
import random
import re
import threading
from urllib.parse import unquote_to_bytes, urljoin

import httpx
import pytest
from pydantic import ValidationError

from monitor.analysers.exposure import judge_exposure, visibility
from monitor.analysers.secrets import (
    DYNAMIC_IMPORT,
    INLINE_MAP,
    JWT,
    NEXT_ASSET,
    NEXT_CHUNK,
    PATTERNS,
    SCRIPT_SRC,
    SOURCE_MAP,
    SPACE,
    StreamScan,
    _next_root,
    find_leaks,
    inline_source_maps,
    jwt_claims,
    mask,
    runtime_scripts,
    without_query,
)
from monitor.checks import security
from monitor.probe import NetworkSettings, Probe
from monitor.profile import PrivatePath, SecurityPolicy, ServiceSecurity
from monitor.results import Category, Verdict
from slurpy_sandbox.apps import MAIN_BUNDLE, PLANTED, _dev_chunk, _next_page
from slurpy_sandbox.faults import FaultState

SITE = "https://fe.test"


# -- discovery -------------------------------------------------------------------------------
def test_dynamic_imports_are_certain_and_resolved_against_the_script():
    found = runtime_scripts(
        "a=()=>import(\"./lazy.js\");b=()=>import('/_next/static/chunks/x.js?v=2');"
        'c=()=>import("react");d=()=>import("./MyComponent")',
        f"{SITE}/_next/static/chunks/main.js",
    )
    assert (f"{SITE}/_next/static/chunks/lazy.js", True) in found
    assert (f"{SITE}/_next/static/chunks/x.js", True) in found
    assert all("react" not in url for url, _ in found), "a bare specifier is no URL"
    assert all("MyComponent" not in url for url, _ in found), "a path without a script's extension is prose"


def test_chunk_paths_in_a_build_manifest_are_certain_elsewhere_only_likely():
    manifest = 'self.__BUILD_MANIFEST={"/":["static/chunks/pages/index-1.js","static/css/a.css"]};'
    assert runtime_scripts(manifest, f"{SITE}/_next/static/build-1/_buildManifest.js") == [
        (f"{SITE}/_next/static/chunks/pages/index-1.js", True)
    ]
    assert runtime_scripts(manifest, f"{SITE}/_next/static/chunks/main.js") == [
        (f"{SITE}/_next/static/chunks/pages/index-1.js", False)
    ]


def test_chunk_paths_keep_a_base_path_and_json_escaped_flight_data_is_read():
    assert runtime_scripts('"static/chunks/a.js"', f"{SITE}/app/_next/static/chunks/main.js") == [
        (f"{SITE}/app/_next/static/chunks/a.js", False)
    ]
    html = r'<script>self.__next_f.push([1,"2:[\"/_next/static/chunks/app/page-9.js\"]"])</script>'
    assert runtime_scripts(html, f"{SITE}/") == [(f"{SITE}/_next/static/chunks/app/page-9.js", False)]


def test_inline_source_maps_are_decoded():
    source_map = json.dumps({"sourcesContent": ["const k = 1;"]})
    standard = base64.b64encode(source_map.encode()).decode()
    urlsafe = base64.urlsafe_b64encode(source_map.encode()).decode().rstrip("=")
    script = (
        f"x()\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,{standard}\n"
        f"//# sourceMappingURL=data:application/json;base64,{urlsafe}\n"
        "//# sourceMappingURL=data:application/json,%7B%22a%22%3A1%7D\n"
        "//# sourceMappingURL=data:application/json;base64,@@not-base64@@\n"
        "//# sourceMappingURL=x.js.map\n"
    )
    assert inline_source_maps(script) == [source_map, source_map, '{"a":1}', None]


# -- the scan as it streams gives what plain regular expressions give over the whole file -----
def reference(text: str, url: str, kind: str):
    """The findings as the patterns give them run over the whole text one by one (each key, JWT
    and import() with a leading \\b): what the streamed scan must give, whatever the chunks."""
    source = "/f.js"

    def where(at: int, text: str = text, source: str = source) -> str:
        return f"{source}:{text.count(chr(10), 0, at) + 1}:{at - (text.rfind(chr(10), 0, at) + 1) + 1}"

    def leaks_in(text: str, source: str) -> list[tuple[str, str, str]]:
        found = []
        for name, pattern in PATTERNS:
            for m in (pattern if name == "private key" else re.compile(r"\b" + pattern.pattern)).finditer(text):
                shown = m.group(0) if name == "private key" else mask(m.group(0))
                found.append((name, shown, where(m.start(), text, source)))
        for m in re.compile(r"\b" + JWT.pattern).finditer(text):
            if (claims := jwt_claims(m.group(0))) and claims.get("role") == "service_role":
                shown = f"eyJ…(role=service_role, {len(m.group(0))} chars)"
                found.append(("Supabase service_role JWT", shown, where(m.start(), text, source)))
        return found

    def decoded(parameters: str, payload: str) -> str | None:
        try:
            if ";base64" in parameters:
                padded = payload.replace("-", "+").replace("_", "/") + "=" * (-len(payload) % 4)
                return base64.b64decode(padded, validate=True).decode()
            return unquote_to_bytes(payload).decode()
        except ValueError:
            return None

    leaks = leaks_in(text, source)
    if kind == "source map":
        return leaks, [], [], None, []
    maps = [decoded(*found) for found in INLINE_MAP.findall(text)]
    for text_of_map in filter(None, maps):
        leaks += leaks_in(text_of_map, f"{source} (inline source map)")
    manifest = url.endswith("/_buildManifest.js")
    runtime = [(urljoin(url, m.group(1)), True) for m in re.compile(r"\b" + DYNAMIC_IMPORT.pattern).finditer(text)]
    runtime += [(urljoin(url, path), False) for path in NEXT_ASSET.findall(text)]
    runtime += [(urljoin(_next_root(url), path), manifest) for path in NEXT_CHUNK.findall(text)]
    comments = SOURCE_MAP.findall(text) if kind == "script" else []
    source_map = comments[-1] if comments and not comments[-1].startswith("data:") else None
    return leaks, [m is not None for m in maps], runtime, source_map, SCRIPT_SRC.findall(text) if kind == "page" else []


def streamed(data: bytes, url: str, kind: str, cuts: list[int], segment: int = 1):
    """Scanned as it arrives in pieces cut at ``cuts``, each line scanned as soon as it can be
    (``segment=1``) unless said otherwise."""
    scan = StreamScan("/f.js", url, kind=kind, segment=segment)
    for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
        scan.feed(data[start:end])
    found = scan.finish()
    return (
        [(k.kind, k.masked, k.where) for k in found.leaks],
        found.maps,
        found.runtime,
        found.source_map,
        found.scripts,
    )


def map_of(*sources: str) -> str:
    return base64.b64encode(json.dumps({"sourcesContent": list(sources)}).encode()).decode()


# Pieces of what a bundle holds, near misses included: keys, JWTs, map comments (inline, external,
# after white space and line breaks, with quotes in their parameters), imports and chunk paths,
# script tags over two lines, quotes and backslashes, non-ASCII letters and Unicode white space.
PIECES = [
    *("sk_", "live_", "test_", "0123456789abcdef", "rk_", "whsec_", "sk-", "proj-", "abcdefghijklmnopqrstuvwxyz"),
    *("-----BEGIN ", "PRIVATE KEY-----", "RSA ", "eyJ", "hbGciOi", ".", "eyJyb2xlIjo", "import(", "'./a.js'", ")"),
    *(PLANTED["service_role"], PLANTED["stripe"], PLANTED["openai"], '"/b.mjs"', "`./c.js?x=1`", "(", "//# ", "//@"),
    *("sourceMappingURL=", "data:application/json;base64,", map_of(f"k='{PLANTED['stripe']}'"), "x.js.map", "a.js"),
    *("/_next/static/", "chunks/", "static/chunks/", '"', "'", "`", "\\", "\n", "\n", " ", "\t", "é", "ſ", "\u2028"),
    *("x", "_", "=", ",", "https://", "http://", "h.test", "<script src=", "<SCRIPT ", ">", "\\n", "#", "@", "?v=1"),
    *(
        "%7B%22a%22%3A1%7D",
        "data:application/json,",
        "@@bad@@",
        "\xa0",
        '"/_next/static/chunks/x.js"',
        "import(\n'/y.mjs'\n)",
    ),
    *(
        "'https://h.test/_next/static/a.js?v=2'",
        "import( './x.js' )",
        '\\"static/chunks/app/p.js\\"',
        "<script\n src='/s.js'>",
    ),
    f"//# sourceMappingURL=data:application/json;base64,{map_of(PLANTED['stripe'], PLANTED['service_role'])}\n",
    "//#\n sourceMappingURL=data:application/json;charset=utf-8;base64,e30=\\n//# sourceURL=x",
    "//# sourceMappingURL=m.js.map\n",
    '//# sourceMappingURL=data:application/json;x="q,e30=',
]
URLS = [f"{SITE}/_next/static/chunks/main.js", f"{SITE}/_next/static/b/_buildManifest.js", f"{SITE}/"]


def test_the_streamed_scan_finds_what_plain_regular_expressions_find_over_the_whole_file():
    """Random files from the pieces above, fed in random chunks (cut anywhere, inside a UTF-8
    character too, some with invalid bytes): the findings, their order and their places are those
    of the plain patterns over the whole file."""
    rng = random.Random(23)
    seen = [0] * 5
    for _ in range(2000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 50)))
        data = text.encode()
        if rng.random() < 0.1:
            data += bytes([rng.randint(128, 255)]) + data
            text = data.decode(errors="replace")
        kind, url = rng.choice(["page", "script", "script", "source map"]), rng.choice(URLS)
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(0, 6)))) if len(data) > 1 else []
        expected = reference(text, url, kind)
        segment = rng.choice([1, 1, 8, 64, 100_000])
        assert streamed(data, url, kind, cuts, segment) == expected, (text, kind, url, cuts, segment)
        seen = [n + bool(found) for n, found in zip(seen, expected, strict=True)]
    assert min(seen) > 100, f"too few files held each kind of finding: {seen}"


@pytest.mark.parametrize(
    "text",
    [
        "k='sk_live_0123456789abcdef'",
        "xsk_live_0123456789abcdef",
        "_sk_live_0123456789abcdef",
        "ésk_live_0123456789abcdef",
        "sk_live_0123456789sk_live_0123456789",
        "xsk-aaaa-sk-proj-0123456789abcdefghijkl",
        "a.sk-proj-0123456789abcdefghijklmno.b",
        "sk_live_0123456789abcdef",
        "(whsec_0123456789abcd==)",
        "1rk_test_0123456789A rk_test_0123456789B",
        "aeyJhbGciOi.eyJyb2xlIjo.x eyJhbGciOi.eyJyb2xlIjo.y",
        "eyJhbGciOiAA.eyJyb2xlIjoAA.sig-eyJhbGciOiAA.eyJyb2xlIjoAA.sig",
        f"{PLANTED['service_role']}-{PLANTED['service_role']} _{PLANTED['service_role']}",
        "x=import('./a.js');ximport('./b.js');_import('/c.js') import(\"/d.mjs\")",
    ],
)
def test_keys_are_found_where_a_word_boundary_regex_finds_them(text):
    """The patterns carry no leading \\b (the literal is what is looked for) and the scan puts it
    back: the same matches, at the same places, as the \\b patterns."""
    url = URLS[0]
    assert streamed(text.encode(), url, "script", []) == reference(text, url, "script")


@pytest.mark.parametrize("kind", ["stripe", "service_role", "openai"])
def test_a_secret_split_across_chunks_is_found_wherever_the_cut(kind):
    data = f"line one\nconst k = '{PLANTED[kind]}';\n".encode()
    expected = [(leak.kind, leak.masked, leak.where) for leak in find_leaks(data.decode(), "/f.js")]
    assert len(expected) == 1 and expected[0][2] == "/f.js:2:12"
    for cut in range(1, len(data)):
        assert streamed(data, URLS[0], "script", [cut])[0] == expected, cut
    assert streamed(data, URLS[0], "script", list(range(1, len(data))))[0] == expected, "one byte at a time"


def test_white_space_is_spelled_out_as_str_isspace_has_it():
    every = "".join(map(chr, range(0x110000)))
    assert re.findall(f"[{SPACE}]", every) == list(filter(str.isspace, every))


def test_one_key_per_file_whatever_its_query():
    assert without_query(f"{SITE}/_next/main.js?v=1#x") == without_query(f"{SITE}/_next/main.js?v=2")


# -- the scan against a played site ------------------------------------------------------------
def js(text: str) -> httpx.Response:
    return httpx.Response(200, text=text, headers={"Content-Type": "application/javascript"})


def inline_map(secret: str) -> str:
    encoded = base64.b64encode(json.dumps({"sourcesContent": [f"const s = '{secret}';"]}).encode()).decode()
    return f"//# sourceMappingURL=data:application/json;base64,{encoded}\n"


MAIN = 'window.a=1;window.lazy=()=>import("./lazy.js");\n//# sourceMappingURL=main.js.map\n'


def site(**overrides):
    """A Next.js-like site; ``overrides`` maps a path to its response (or None for a 404)."""
    files = {
        "/": httpx.Response(
            200,
            html='<script src="/_next/static/chunks/main.js?v=1"></script>'
            '<script src="https://cdn.other.test/lib.js"></script>'
            '<script src="/_next/static/b1/_buildManifest.js"></script>',
        ),
        "/about": httpx.Response(
            200,
            html='<script src="/_next/static/chunks/main.js?v=2"></script>'
            '<script src="/_next/static/chunks/copy-of-main.js"></script>',
        ),
        "/_next/static/chunks/main.js": js(MAIN),
        "/_next/static/chunks/copy-of-main.js": js(MAIN),
        "/_next/static/chunks/main.js.map": httpx.Response(200, json={"version": 3, "sourcesContent": ["x"]}),
        "/_next/static/chunks/lazy.js": js('export const x = 1; const hint = "/_next/static/chunks/gone.js";'),
        "/_next/static/b1/_buildManifest.js": js('self.__BUILD_MANIFEST={"/plans":["static/chunks/pages/plans.js"]};'),
        "/_next/static/chunks/pages/plans.js": js("export default 1;\n"),
    }
    files.update(overrides)
    requests = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        answer = files.get(request.url.path) if request.url.host == "fe.test" else js("third party")
        return answer if answer is not None else httpx.Response(404)

    return Probe(NetworkSettings(target="t", retries=0), transport=httpx.MockTransport(handler)), requests


def scan(probe, max_files=200, max_bytes=10_000_000, pages=("/", "/about"), concurrency=4):
    return security.secrets(
        probe, "frontend", SITE, list(pages), max_files=max_files, max_bytes=max_bytes, concurrency=concurrency
    )


def test_each_file_is_fetched_once_and_the_same_bytes_are_scanned_once():
    probe, requests = site()
    result = scan(probe)
    assert result.verdict is Verdict.PASS, result.message
    assert sum("/_next/static/chunks/main.js?" in url for url in requests) == 1, "two queries, one bundle"
    assert not any("cdn.other.test" in url for url in requests), "third-party scripts are not ours to fetch"
    assert result.details["duplicates"] == {"/_next/static/chunks/copy-of-main.js": "/_next/static/chunks/main.js"}
    assert "/_next/static/chunks/lazy.js" in result.details["files"]  # loaded only by import()
    assert "/_next/static/chunks/pages/plans.js" in result.details["files"]  # named only in the build manifest
    assert result.details["third_party"] == ["https://cdn.other.test/lib.js"]
    scanned = len(result.details["files"])
    assert f"scanned {scanned} files, {result.details['bytes']} B, each once" in result.message
    assert "1 identical under another name" in result.message
    assert "1 script paths named in the code could not be fetched: /_next/static/chunks/gone.js (404)" in result.message
    assert result.details["scanned_mb_per_s"] > 0 and result.details["scan_s"] >= 0  # the scan's own speed, fetch apart
    fetched = [url.split("?")[0] for url in requests]
    assert len(fetched) == len(set(fetched)), f"a file fetched twice: {sorted(fetched)}"


@pytest.mark.parametrize(
    "path,text,kind",
    [
        ("/_next/static/chunks/lazy.js", f"export const k = '{PLANTED['openai']}';", "OpenAI API key"),
        (
            "/_next/static/chunks/pages/plans.js",
            "export default 1;\n" + inline_map(PLANTED["webhook"]),
            "Stripe webhook secret",
        ),
    ],
    ids=["runtime-chunk", "inline-source-map"],
)
def test_a_secret_in_a_chunk_loaded_at_run_time_or_in_an_inline_source_map_is_found(path, text, kind):
    probe, _ = site(**{path: js(text)})
    result = scan(probe)
    assert result.verdict is Verdict.FAIL and result.category is Category.SECRET
    assert kind in result.message and path in result.message
    assert result.message.split(": ", 2)[2].startswith("scanned ")  # files and bytes, also when failing
    assert all(secret not in result.message for secret in PLANTED.values())


def test_a_script_the_page_loads_that_cannot_be_read_is_a_warning_that_names_it_never_a_secret_failure():
    probe, _ = site(**{"/_next/static/chunks/lazy.js": None})
    result = scan(probe)
    assert result.verdict is Verdict.WARN
    assert (
        "1 file not scanned: could not scan /_next/static/chunks/lazy.js (404), which /_next/static/chunks/main.js "
        "loads" in result.message
    )
    assert result.details["unreadable"] == [
        "could not scan /_next/static/chunks/lazy.js (404), which /_next/static/chunks/main.js loads"
    ]


def test_a_secret_still_fails_beside_files_that_could_not_be_read():
    probe, _ = site(
        **{
            "/_next/static/chunks/lazy.js": None,
            "/_next/static/chunks/pages/plans.js": js("x\n" + inline_map(PLANTED["webhook"])),
        }
    )
    result = scan(probe)
    assert result.verdict is Verdict.FAIL and result.category is Category.SECRET
    assert "Stripe webhook secret" in result.message and "1 file not scanned" in result.message


def test_a_dev_build_module_in_an_eval_string_is_decoded_and_prose_names_no_chunk():
    """`next dev`: each module an eval() string whose inline map is followed by an escaped newline and
    a sourceURL comment; React's dev build writes import('./MyComponent') in an error text."""
    faults = FaultState()
    faults.switch_on("frontend-leaks-secret-in-dev-module")
    chunk = _dev_chunk(faults)
    maps = inline_source_maps(chunk)
    assert len(maps) == 2 and None not in maps
    assert PLANTED["dev_module"] in (maps[1] or "")
    assert runtime_scripts(chunk, f"{SITE}/_next/static/chunks/app/layout.js") == []
    probe, _ = site(**{"/_next/static/chunks/pages/plans.js": js(chunk)})
    result = scan(probe)
    assert result.verdict is Verdict.FAIL, result.message
    assert "Stripe secret key sk_test_" in result.message and "(inline source map)" in result.message
    assert result.details["inline_source_maps"] == ["/_next/static/chunks/pages/plans.js"] * 2


def test_the_file_bound_is_stated_and_warns():
    probe, requests = site()
    result = scan(probe, max_files=3)
    assert len(requests) == 3
    assert result.verdict is Verdict.WARN and result.category is Category.SECRET
    assert "stopped at the 3-file bound: " in result.message and " files not scanned" in result.message
    assert result.details["not_scanned"]


def test_the_byte_bound_cuts_the_file_that_reaches_it_and_stops():
    probe, _ = site(**{"/_next/static/chunks/main.js": js(MAIN + "x" * 2000)})
    result = scan(probe, max_bytes=1500, pages=("/",))
    assert result.verdict is Verdict.WARN
    assert result.details["bytes"] == 1500
    assert "stopped at the 1.5 kB bound: /_next/static/chunks/main.js scanned only to its first" in result.message


def test_a_secret_split_across_the_pieces_of_a_streamed_answer_fails_the_check(monkeypatch):
    """The answer arrives in pieces, each scanned as it comes, the key cut in two between them."""
    fed: list[tuple[str, int]] = []
    feed = StreamScan.feed

    def spy(self, chunk):
        fed.append((self.source, len(chunk)))
        feed(self, chunk)

    monkeypatch.setattr(StreamScan, "feed", spy)
    body = f"export const a = 1;\nconst k = '{PLANTED['stripe']}';\n".encode()
    half = body.index(b"sk_") + 6
    pieces = httpx.Response(200, content=iter([body[:half], body[half:]]), headers={"Content-Type": "text/javascript"})
    probe, requests = site(**{"/_next/static/chunks/lazy.js": pieces})
    result = scan(probe)
    assert result.verdict is Verdict.FAIL and result.category is Category.SECRET, result.message
    assert "Stripe secret key sk_live_…" in result.message and "/_next/static/chunks/lazy.js:2:12" in result.message
    assert [n for source, n in fed if source == "/_next/static/chunks/lazy.js"] == [half, len(body) - half]
    assert PLANTED["stripe"] not in result.message


def test_files_are_fetched_at_once_within_the_concurrency_and_each_once():
    """Four scripts a page names, two at a time: each pair meets at a barrier, which only files
    fetched at once can pass; no more than two are ever in flight, and no path is asked twice."""
    names = [f"/_next/static/chunks/s{n}.js" for n in range(4)]
    barrier, lock, flight = threading.Barrier(2, timeout=10), threading.Lock(), {"now": 0, "most": 0}
    page = httpx.Response(200, html="".join(f'<script src="{name}"></script>' for name in names))
    paths = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path == "/":
            return page
        with lock:
            flight["now"] += 1
            flight["most"] = max(flight["most"], flight["now"])
        barrier.wait()
        with lock:
            flight["now"] -= 1
        return js(f"export const name = '{request.url.path}';\n")

    probe = Probe(NetworkSettings(target="t", retries=0), transport=httpx.MockTransport(handler))
    result = scan(probe, pages=("/",), concurrency=2)
    assert result.verdict is Verdict.PASS, result.message
    assert flight["most"] == 2
    assert sorted(paths) == sorted(["/", *names]), "each file once"
    assert result.details["files"] == ["/", *names], "taken in queue order, whatever order they arrived in"


@pytest.mark.parametrize("max_files,max_bytes", [(200, 10_000_000), (3, 10_000_000), (200, 300), (200, 1500), (4, 700)])
def test_files_fetched_at_once_give_the_record_of_one_at_a_time(max_files, max_bytes):
    """Files fetched ahead of their turn are taken in queue order; one fetched before the bytes
    left were known is cut to them and scanned again: the record is that of one file at a time."""

    def record(concurrency):
        big = httpx.Response(200, html='<script src="/_next/static/chunks/main.js"></script>' + "x" * 900)
        probe, _ = site(**{"/about": big})
        result = scan(probe, max_files=max_files, max_bytes=max_bytes, concurrency=concurrency)
        details = {k: v for k, v in result.details.items() if k not in ("requests", "scan_s", "scanned_mb_per_s")}
        return result.verdict, result.message, details

    assert record(4) == record(1)


def test_a_page_that_does_not_answer_is_unreachable():
    probe = Probe(
        NetworkSettings(target="t", retries=0),
        transport=httpx.MockTransport(lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused"))),
    )
    result = scan(probe)
    assert result.verdict is Verdict.FAIL and result.category is Category.CONNECT


def test_the_sandbox_serves_its_bundle_under_a_fresh_cache_busting_query_as_next_dev_does():
    first, second = _next_page("Slurpy", "<h1>Slurpy</h1>", None), _next_page("Slurpy", "<h1>Slurpy</h1>", None)
    assert f'src="{MAIN_BUNDLE}?v=' in first and first != second


# -- exposure --------------------------------------------------------------------------------
def test_visibility_of_a_private_path():
    assert [visibility(s) for s in (200, 204, 401, 403, 404, 301, 405, 500, 502)] == [
        "public",
        "public",
        "private",
        "private",
        "private",
        "unknown",
        "unknown",
        "unknown",
        "unknown",
    ]
    problems = judge_exposure([], ["/docs (200)"], ["/openapi.json (502)"], allow_version=False)
    assert problems == [
        "public to anonymous callers: /docs (200); the profile lists it under private_paths",
        "cannot tell whether /openapi.json (502) is public: expected 401, 403 or 404",
    ]


def test_a_redirect_to_the_sign_in_page_is_private_and_reported_as_such():
    assert visibility(307, "/sign-in?redirect=%2Fchat", "/sign-in") == "private"
    assert visibility(302, "https://fe.test/sign-in", "/sign-in") == "private"
    assert visibility(302, "/welcome", "/sign-in") == "unknown"
    assert visibility(307, "/sign-in") == "unknown", "without a sign-in path a redirect says nothing"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/chat":
            return httpx.Response(307, headers={"Location": "/sign-in?redirect=%2Fchat"})
        return httpx.Response(200 if request.url.path == "/health" else 404)

    result = security.exposure(
        Probe(NetworkSettings(target="t", retries=0), transport=httpx.MockTransport(handler)),
        "frontend",
        f"{SITE}/health",
        SITE,
        [PrivatePath.model_validate("/chat")],
        allow_version=False,
        sign_in_path="/sign-in",
    )
    assert result.verdict is Verdict.PASS and "/chat (307 to sign-in)" in result.message


def test_private_paths_are_read_only():
    raw = ["/docs", "HEAD /backup.sql", {"path": "/x", "method": "get"}]
    paths = ServiceSecurity.model_validate({"private_paths": raw}).private_paths
    assert [(p.method, p.path) for p in paths] == [("GET", "/docs"), ("HEAD", "/backup.sql"), ("GET", "/x")]
    for bad in ("DELETE /account", "POST /stats", {"path": "/x", "method": "PUT"}):
        with pytest.raises(ValidationError, match="a monitor only reads, use GET or HEAD"):
            ServiceSecurity.model_validate({"private_paths": [bad]})


def test_the_old_docs_fields_say_what_replaced_them():
    with pytest.raises(ValidationError, match="docs_paths is now private_paths"):
        ServiceSecurity.model_validate({"docs_paths": ["/docs"]})
    with pytest.raises(ValidationError, match="public_docs is gone"):
        SecurityPolicy.model_validate({"public_docs": True})


def exposure_site(answers):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        answer = answers.get(request.url.path, 404)
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, headers={"Server": "uvicorn"})

    return httpx.MockTransport(handler), seen


def exposure(transport, paths, **headers):
    settings = NetworkSettings(target="t", retries=0).with_headers(**headers)
    return security.exposure(
        Probe(settings, transport=transport),
        "backend",
        f"{SITE}/health",
        SITE,
        [PrivatePath.model_validate(p) for p in paths],
        allow_version=False,
    )


@pytest.mark.parametrize(
    "answers,expected,category,words",
    [
        (
            {"/health": 200, "/docs": 404, "/admin": 401},
            Verdict.PASS,
            None,
            "private to anonymous callers: /docs (404)",
        ),
        ({"/health": 200, "/docs": 200}, Verdict.FAIL, Category.EXPOSURE, "public to anonymous callers: /docs (200)"),
        (
            {"/health": 200, "/docs": 502},
            Verdict.FAIL,
            Category.HTTP_STATUS,
            "cannot tell whether /docs (502) is public",
        ),
        (
            {"/health": 200, "/docs": httpx.ReadTimeout("timed out")},
            Verdict.FAIL,
            Category.TIMEOUT,
            "cannot tell whether /docs (no answer: ",
        ),
        (
            {"/health": 200, "/docs": 502, "/admin": 200},
            Verdict.FAIL,
            Category.EXPOSURE,
            "public to anonymous callers: HEAD /admin",
        ),
    ],
    ids=["private", "public", "5xx", "timeout", "public-and-5xx"],
)
def test_exposure_verdicts(answers, expected, category, words):
    transport, seen = exposure_site(answers)
    result = exposure(transport, ["/docs", "HEAD /admin"])
    assert result.verdict is expected and result.category is category, result.message
    assert words in result.message
    assert "HEAD /admin" in seen


def test_exposure_refuses_a_signed_in_probe():
    transport, seen = exposure_site({})
    result = exposure(transport, ["/docs"], Authorization="Bearer t")
    assert result.verdict is Verdict.ERROR and result.category is Category.MONITOR and seen == []
