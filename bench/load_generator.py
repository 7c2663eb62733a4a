"""How honest and how strong is the load generator? Three figures, against one sandbox, in one run:

1. requests per second per core: Locust (FastHttpUser, one process) and wrk (one thread) against
   the same fast sandbox endpoint, one after the other, each for RUN_S with CONNECTIONS
   connections; "per core" is requests per CPU-second of the generator process itself (the
   sandbox, one Python process, caps both wall-clock rates). Aim: Locust >= 0.25 x wrk.
2. latency agreement: p50/p95 Locust reports vs wrk's (a Lua ``done`` hook) at a fixed low rate
   (2 connections) on the backend's knee fault. Aim: within 10 %.
3. time from the end of a load run to its printed verdict (``slurpy-load``). Aim: < 1 s.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slurpy_sandbox import STATE_ENV, Sandbox  # noqa: E402

RUN_S, CONNECTIONS = 8, 10
WRK_LUA = """done = function(summary, latency, requests)
  io.write(string.format("WRK p50_ms=%.2f p95_ms=%.2f\\n",
                         latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def wrk(url: str, connections: int, lua: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{RUN_S}s", "-s", str(lua), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    p50, p95 = _found(r"WRK p50_ms=([\d.]+) p95_ms=([\d.]+)", out)
    return {
        "requests": _found(r"(\d+) requests in", out)[0],
        "rps": _found(r"Requests/sec:\s+([\d.]+)", out)[0],
        "cpu_s": cpu,
        "p50": p50,
        "p95": p95,
    }


def _found(pattern: str, text: str) -> list[float]:
    match = re.search(pattern, text)
    if match is None:
        sys.exit(f"load_generator: no {pattern!r} in:\n{text}")
    return [float(v) for v in match.groups()]


def locust(url: str, users: int) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench/locustfiles/one_url.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{RUN_S}s",
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_URL": url},
        cwd=ROOT,
    ).stdout
    found = dict(re.findall(r"(\w+)=([\d.]+)", next(line for line in out.splitlines() if line.startswith("BENCH"))))
    values = {k: float(v) for k, v in found.items()}
    return {**values, "rps": values["requests"] / values["wall_s"]}


def verdict_delay(sandbox: Sandbox, tmp: Path) -> float:
    """Seconds between Locust's "Shape test stopping" and the verdict's first line."""
    env = {**os.environ, STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor.commands.load",
            "--run-time",
            "5",
            "--results",
            str(tmp / "r.jsonl"),
            "--artifacts",
            str(tmp / "a"),
            "--",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    stopped = printed = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if "Shape test stopping" in line:
            stopped = time.perf_counter()
        elif line.startswith("Slurpy load: target"):
            printed = time.perf_counter()
    proc.wait()
    if stopped is None or printed is None:
        sys.exit("load_generator: the load run printed no end of its shape or no verdict")
    return printed - stopped


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("load_generator: wrk is not installed (Debian: apt-get install -y wrk); it is the yardstick here")
    sandbox = Sandbox.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            lua = Path(tmp) / "percentiles.lua"
            lua.write_text(WRK_LUA)
            url = sandbox.urls["mcp"] + "/healthz"
            w, lo = wrk(url, CONNECTIONS, lua), locust(url, CONNECTIONS)
            w_core, l_core = w["requests"] / w["cpu_s"], lo["requests"] / lo["cpu_s"]
            print(
                f"generator rate, {url.split('//')[1]} for {RUN_S} s with {CONNECTIONS} connections: "
                f"wrk {w['rps']:.0f}/s on {w['cpu_s']:.2f} CPU-s = {w_core:.0f} per core; "
                f"Locust {lo['rps']:.0f}/s on {lo['cpu_s']:.2f} CPU-s = {l_core:.0f} per core; "
                f"ratio per core {l_core / w_core:.2f} (aim >= 0.25); ratio of rates, one process or thread each "
                f"(both capped by the sandbox) {lo['rps'] / w['rps']:.2f}"
            )

            sandbox.switch_on("backend-latency-knee", knee=1, ms_per_request=100, base_ms=100)
            url = sandbox.urls["backend"] + "/health/healthz"
            w, lo = wrk(url, 2, lua), locust(url, 2)
            sandbox.clear()
            worst = max(abs(lo[q] - w[q]) / w[q] for q in ("p50", "p95"))
            print(
                f"latency agreement, backend knee fault (knee 1, +100 ms each past it, 100 ms base), 2 connections: "
                f"Locust p50 {lo['p50']:.0f} ms p95 {lo['p95']:.0f} ms; wrk p50 {w['p50']:.1f} ms p95 {w['p95']:.1f} "
                "ms; "
                f"largest difference {worst:.1%} (aim within 10 %)"
            )

            delays = [verdict_delay(sandbox, Path(tmp)) for _ in range(3)]
            print(
                f"end of run to printed verdict (slurpy-load, 5 s gate, 3 runs): "
                f"{', '.join(f'{d:.2f} s' for d in delays)} (aim < 1 s)"
            )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
