"""Wall time of the security suite against the sandbox, rate-limit probes included, whole pytest
process. Aim: under 15 s. Also prints the slowest checks, to say what dominates."""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3


def main() -> None:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RUNS):
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "pytest", "tests/security", "-q", "--durations=4",
                                   "--results", f"{tmp}/{i}.jsonl"], cwd=ROOT, capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            if proc.returncode != 0:
                sys.exit(f"security suite failed on the healthy sandbox:\n{proc.stdout}{proc.stderr}")
    slowest = [line.strip() for line in proc.stdout.splitlines() if line.strip().endswith("]") and "s call" in line]
    print(f"security suite wall time over {RUNS} runs (pytest process incl. sandbox start): "
          f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s")
    print("  slowest checks in the last run: " + "; ".join(slowest))


if __name__ == "__main__":
    main()
