"""The project's own tests as a developer and CI run them: `./run tests`, then `./run tests --full`
(the act rehearsals added, as CI runs it), once each on this checkout: minutes each, so not in `./run bench`.

For each: the wall time, the CPU time (user + system) of every process it started (pytest, its
workers, the child runs, the sandboxes, act and its jobs, Chromium), and the load average before and
after. The machine's other work slows the wall time, not the CPU time: with two cores the wall time
can be no less than half the CPU time, and on a loaded machine it is an upper bound.

    uv run python bench/selftests_time.py [--tests-only | --full-only]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(*args: str) -> tuple[int, float, float, tuple[float, float]]:
    """(exit code, wall s, CPU s of every descendant, (load average before, after))."""
    before_load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with tempfile.TemporaryFile() as log:
        done = subprocess.run(["./run", "tests", *args], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wall = time.monotonic() - started
        if done.returncode:  # which tests failed, from pytest's short summary
            log.seek(0)
            print(*log.read().decode(errors="replace").splitlines()[-15:], sep="\n")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.returncode, wall, cpu, (before_load, os.getloadavg()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--tests-only", action="store_true")
    which.add_argument("--full-only", action="store_true")
    options = parser.parse_args()
    runs = [("./run tests", []), ("./run tests --full", ["--full"])]
    if options.tests_only:
        runs = runs[:1]
    elif options.full_only:
        runs = runs[1:]
    for name, args in runs:
        code, wall, cpu, (load_before, load_after) = measure(*args)
        print(
            f"{name}: exit {code}, wall {wall / 60:.1f} min ({wall:.0f} s), CPU {cpu:.0f} s "
            f"(wall >= {cpu / (os.cpu_count() or 1):.0f} s on {os.cpu_count()} cores), "
            f"load average {load_before:.1f} before, {load_after:.1f} after"
        )


if __name__ == "__main__":
    main()
