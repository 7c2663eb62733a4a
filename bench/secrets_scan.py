"""The secrets scan's own speed, fetch apart: a generated 20 MB bundle shaped like a ``next dev``
build (every module of ~4.6 kB an ``eval()`` string ending in an inline base64 source map and a
``sourceURL`` comment; every 50th, a route's, with an import() and a ``/_next/static`` asset
path) scanned as the secrets check scans a fetched script, 5 repetitions, each paired with a
reference from the same run: the least any scan must do with the bytes (hash them for the
duplicate check, decode them, one pass of one regular expression). Aim: >= 50 MB/s.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.checks.security import _Queued, _SecretScan  # noqa: E402

SIZE = 20_000_000
REPETITIONS = 5
ORIGIN = "app.example"
WORDS = (
    "const",
    "return",
    "function",
    "props",
    "children",
    "useState",
    "jsx",
    "className",
    "onClick",
    "await",
    "fetch",
    "response",
    "data",
    "error",
    "render",
    "value",
    "key",
    "map",
    "filter",
    "=>",
    "{",
    "}",
    "(",
    ")",
)


def module(rng: random.Random, n: int) -> str:
    """One dev-build module, about 6 kB: code, its original source in an inline map, a sourceURL."""
    code = " ".join(rng.choice(WORDS) for _ in range(250))
    if n % 50 == 0:  # a route's module: a lazily loaded chunk, an asset path
        code += (
            f"\nconst Lazy{n} = lazy(() => import('./chunk-{n}.js'));\nconst asset = \"/_next/static/chunks/{n}.js\";"
        )
    source = " ".join(rng.choice(WORDS) for _ in range(300))
    inline = json.dumps(
        {
            "version": 3,
            "sources": [f"webpack://_N_E/./app/m{n}.tsx"],
            "sourcesContent": [source],
            "mappings": "AAAA;" * 40,
        }
    )
    body = (
        f"__webpack_require__.r(__webpack_exports__);\n{code}\n//# sourceMappingURL=data:application/json;"
        f"charset=utf-8;base64,{base64.b64encode(inline.encode()).decode()}\n"
        f"//# sourceURL=webpack-internal:///(app-pages-browser)/./app/m{n}.tsx\n"
    )
    return (
        f'"(app-pages-browser)/./app/m{n}.tsx":\n(function(module, __webpack_exports__, __webpack_require__) {{\n'
        f'"use strict";\neval(__webpack_require__.ts({json.dumps(body)}));\n}})'
    )


def bundle() -> bytes:
    rng = random.Random(23)
    parts, size, n = [], 0, 0
    while size < SIZE:
        parts.append(module(rng, n))
        size += len(parts[-1]) + 2
        n += 1
    return (
        '(self["webpackChunk_N_E"] = self["webpackChunk_N_E"] || []).push([["app/layout"],{\n'
        + ",\n".join(parts)
        + "\n}]);\n"
    ).encode()


def scan(body: bytes) -> _SecretScan:
    found = _SecretScan(ORIGIN, max_files=10_000, max_bytes=10 * SIZE)
    found.read(
        _Queued(f"https://{ORIGIN}/_next/static/chunks/app/layout.js", "script", "/", True), body, "utf-8", False
    )
    return found


REFERENCE = re.compile(r"sourceMappingURL=")


def reference(body: bytes) -> int:
    hashlib.sha256(body).digest()
    return sum(1 for _ in REFERENCE.finditer(body.decode("utf-8", errors="replace")))


def main() -> None:
    body = bundle()
    mb = len(body) / 1e6
    took, ref = [], []
    found = scan(body)
    for _ in range(REPETITIONS):
        began = time.perf_counter()
        found = scan(body)
        took.append(time.perf_counter() - began)
        began = time.perf_counter()
        reference(body)
        ref.append(time.perf_counter() - began)
    rate = [mb / t for t in took]
    ref_rate = [mb / t for t in ref]
    ratio = [a / b for a, b in zip(took, ref, strict=True)]
    print(
        f"bundle: {mb:.1f} MB, {len(found.inline_maps)} inline source maps, {len(found.queue)} scripts it names, "
        f"{len(found.leaks)} leaks"
    )
    print(
        f"scan (fetch apart): median {statistics.median(rate):.0f} MB/s (min {min(rate):.0f}, max {max(rate):.0f}), "
        f"{statistics.median(took) * 1000:.0f} ms; aim >= 50 MB/s"
    )
    print(
        f"reference (hash + decode + one regex pass): median {statistics.median(ref_rate):.0f} MB/s "
        f"(min {min(ref_rate):.0f}, max {max(ref_rate):.0f}); scan takes {statistics.median(ratio):.1f}x it "
        f"(paired, min {min(ratio):.1f}x, max {max(ratio):.1f}x)"
    )


if __name__ == "__main__":
    main()
