"""The secrets scan's speed on a generated 20 MB bundle shaped like a ``next dev`` build (every
module of ~4.6 kB an ``eval()`` string ending in an inline base64 source map and a ``sourceURL``
comment; every 50th, a route's, with an import() and a ``/_next/static`` asset path).

1. The scan, fetch apart: the bundle fed to the scan in 64 KiB pieces as the probe hands them
   over, 5 repetitions, each paired with a reference from the same run: the least any scan must
   do with the bytes (hash them for the duplicate check, decode them, one pass of one regular
   expression); in wall-clock time (aim: >= 50 MB/s) and in the thread's CPU time (what the
   check's ``scanned_mb_per_s`` counts: the scan's cost whatever share of a core it got).
2. Fetch and scan: the secrets check against a local file server (127.0.0.1, its own process)
   whose page loads the same bytes as 10 scripts of ~2 MB, which import 89 small route chunks;
   3 repetitions, one file at a time and 4 at once, each paired with a reference: the same files
   fetched one after another with a plain httpx client.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from monitor.analysers.secrets import ScannedFile, StreamScan
from monitor.checks.security import secrets
from monitor.probe import NetworkSettings, Probe

SIZE = 20_000_000
PIECE = 65_536
REPETITIONS = 5
FETCH_REPETITIONS = 3
FILES = 10
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


def modules() -> list[str]:
    rng = random.Random(23)
    parts: list[str] = []
    size = 0
    while size < SIZE:
        parts.append(module(rng, len(parts)))
        size += len(parts[-1]) + 2
    return parts


def chunk_file(parts: list[str], name: str) -> bytes:
    return (
        f'(self["webpackChunk_N_E"] = self["webpackChunk_N_E"] || []).push([["{name}"],{{\n'
        + ",\n".join(parts)
        + "\n}]);\n"
    ).encode()


def scan(body: bytes) -> ScannedFile:
    found = StreamScan("/_next/static/chunks/app/layout.js", "https://app.example/_next/static/chunks/app/layout.js")
    for at in range(0, len(body), PIECE):
        found.feed(body[at : at + PIECE])
    return found.finish()


REFERENCE = re.compile(r"sourceMappingURL=")


def reference(body: bytes) -> int:
    hashlib.sha256(body).digest()
    return sum(1 for _ in REFERENCE.finditer(body.decode("utf-8", errors="replace")))


def timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def spread(values: list[float], unit: str, digits: int = 0) -> str:
    return (
        f"median {statistics.median(values):.{digits}f}{unit} (min {min(values):.{digits}f}, "
        f"max {max(values):.{digits}f})"
    )


def cpu_timed(work: Callable[[], object]) -> float:
    began = time.thread_time()
    work()
    return time.thread_time() - began


def scan_figures(body: bytes) -> None:
    mb = len(body) / 1e6
    found = scan(body)
    took, ref, cpu, ref_cpu = [], [], [], []
    for _ in range(REPETITIONS):
        took.append(timed(lambda: scan(body)))
        ref.append(timed(lambda: reference(body)))
        cpu.append(cpu_timed(lambda: scan(body)))
        ref_cpu.append(cpu_timed(lambda: reference(body)))
    ratio = [a / b for a, b in zip(took, ref, strict=True)]
    print(
        f"bundle: {mb:.1f} MB, {len(found.maps)} inline source maps, {len(found.runtime)} scripts it names, "
        f"{len(found.leaks)} leaks"
    )
    print(f"scan (fetch apart), wall clock: {spread([mb / t for t in took], ' MB/s')}; aim >= 50 MB/s")
    print(
        f"reference (hash + decode + one regex pass), wall clock: {spread([mb / t for t in ref], ' MB/s')}; "
        f"the scan takes {spread(ratio, 'x', 1)} it (paired)"
    )
    # CPU seconds of the scanning thread: what the scan costs, whatever share of a core it got
    cpu_ratio = [a / b for a, b in zip(cpu, ref_cpu, strict=True)]
    print(
        f"scan in CPU time (as scanned_mb_per_s): {spread([mb / t for t in cpu], ' MB/s')}; reference "
        f"{spread([mb / t for t in ref_cpu], ' MB/s')}, the scan takes {spread(cpu_ratio, 'x', 1)} it"
    )


def serve(root: Path) -> tuple[subprocess.Popen, str]:
    """Python's own file server in its own process (in this one it would share the scan's GIL)."""
    with socket.socket() as probe_port:
        probe_port.bind(("127.0.0.1", 0))
        port = probe_port.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(base + "/", timeout=1.0)
            return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the local file server did not start")


def fetch_figures(parts: list[str], root: Path) -> None:
    per_file = -(-len(parts) // FILES)
    names = [f"/_next/static/chunks/app/part-{n}.js" for n in range(FILES)]
    files = {name: chunk_file(parts[n * per_file : (n + 1) * per_file], name) for n, name in enumerate(names)}
    files["/index.html"] = "".join(f'<script src="{name}"></script>' for name in names).encode()
    for n in range(0, len(parts), 50):  # the route chunks the bundle imports
        files[f"/_next/static/chunks/app/chunk-{n}.js"] = f"export default {n};\n".encode()
    for name, body in files.items():
        (root / name.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / name.lstrip("/")).write_bytes(body)
    mb = sum(len(body) for body in files.values()) / 1e6
    server, base = serve(root)
    settings = NetworkSettings(target="bench", timeout_s=60.0, retries=0)
    try:
        runs: dict[int, list[float]] = {1: [], 4: []}
        scan_rates: list[float] = []
        plain = []
        for _ in range(FETCH_REPETITIONS):
            for concurrency in runs:
                probe = Probe(settings)
                began = time.perf_counter()
                result = secrets(probe, "frontend", base, ["/"], 200, 50_000_000, concurrency)
                runs[concurrency].append(time.perf_counter() - began)
                probe.close()
                assert result.verdict.value == "pass", result.message
                scan_rates.append(result.details["scanned_mb_per_s"])
            with httpx.Client() as client:
                began = time.perf_counter()
                for name in files:
                    client.get(base + name).raise_for_status()
                plain.append(time.perf_counter() - began)
        print(f"fetch + scan, {result.details['requests']} files, {mb:.1f} MB from a local server (another process):")
        for concurrency, took in runs.items():
            rate = spread([mb / t for t in took], " MB/s")
            print(f"  the check, {concurrency} at once: {spread(took, ' s', 2)}, {rate}")
        print(f"  its own scanned_mb_per_s: {spread(scan_rates, ' MB/s')}")
        print(f"  reference, the same files as plain httpx GETs one after another (no scan): {spread(plain, ' s', 2)}")
    finally:
        server.kill()
        server.wait()


def main() -> None:
    print(f"load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    parts = modules()
    scan_figures(chunk_file(parts, "app/layout"))
    with tempfile.TemporaryDirectory() as root:
        fetch_figures(parts, Path(root))
    print(f"load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
