"""Wall time of the four journeys against the sandbox, browser start included (whole pytest
process). Aim: under 20 s. Per journey: the sum of its steps, from the results file."""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3
sys.path.insert(0, str(ROOT))

from monitor.results import read_jsonl  # noqa: E402


def main() -> None:
    times, per_journey = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RUNS):
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "pytest", "tests/journeys", "-q", "--results", f"{tmp}/{i}.jsonl",
                                   "--output", f"{tmp}/artifacts"], cwd=ROOT, capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            if proc.returncode != 0:
                sys.exit(f"journeys failed on the healthy sandbox:\n{proc.stdout}{proc.stderr}")
            for result in read_jsonl(Path(f"{tmp}/{i}.jsonl")):
                per_journey.setdefault(result.path, []).append(result.latency_ms)
    print(f"journeys wall time over {RUNS} runs (pytest process incl. sandbox and Chromium start): "
          f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s")
    print("  per journey, median of its steps' sum: " +
          ", ".join(f"{name} {statistics.median(ms) / 1000:.2f} s" for name, ms in sorted(per_journey.items())))


if __name__ == "__main__":
    main()
