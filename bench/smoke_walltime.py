"""Wall time of the smoke suite against the sandbox, whole pytest process included (sandbox start,
collection, checks, teardown). Aim: under 3 s on the 2-core machine."""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5


def main() -> None:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RUNS):
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "pytest", "tests/smoke", "-q", "--results", f"{tmp}/{i}.jsonl"],
                                  cwd=ROOT, capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            if proc.returncode != 0:
                sys.exit(f"smoke suite failed on the healthy sandbox:\n{proc.stdout}{proc.stderr}")
    print(f"smoke suite wall time over {RUNS} runs (pytest process incl. sandbox start): "
          f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s")


if __name__ == "__main__":
    main()
