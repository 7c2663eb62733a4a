"""Shared by the wall-time benchmarks: run a suite against the sandbox N times, time each whole
pytest process, and hand back the check results of every run."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.results import CheckResult, read_jsonl  # noqa: E402


def time_suite(suite: str, runs: int, *args: str) -> tuple[list[float], list[list[CheckResult]], str]:
    times, results, output = [], [], ""
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            started = time.perf_counter()
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    suite,
                    "-q",
                    "--results",
                    f"{tmp}/{i}.jsonl",
                    "--output",
                    f"{tmp}/artifacts",
                    *args,
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            times.append(time.perf_counter() - started)
            if proc.returncode != 0:
                sys.exit(f"{suite} failed on the healthy sandbox:\n{proc.stdout}{proc.stderr}")
            results.append(read_jsonl(Path(f"{tmp}/{i}.jsonl")))
            output = proc.stdout
    return times, results, output


def describe(label: str, times: list[float]) -> str:
    return (
        f"{label} wall time over {len(times)} runs (whole pytest process, sandbox start included): "
        f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s"
    )
