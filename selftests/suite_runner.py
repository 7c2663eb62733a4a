"""Run a monitoring suite in a child pytest and read back its check results."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from monitor.results import CheckResult, read_jsonl

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SuiteRun:
    results: dict[str, CheckResult]
    returncode: int
    output: str
    results_text: str
    artifacts: Path
    peak_rss_mb: float  # the child's peak resident memory, or its largest descendant's (a browser, a worker)

    def not_passing(self) -> dict[str, tuple[str, str | None]]:
        return {
            i: (r.verdict.value, r.category.value if r.category else None)
            for i, r in self.results.items()
            if r.verdict.value not in ("pass", "flaky")
        }


def run_suite(
    suite: str, results_file: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> SuiteRun:
    artifacts = results_file.parent / "artifacts"
    command = [
        sys.executable,
        "-m",
        "pytest",
        suite,
        "-q",
        "-p",
        "no:cacheprovider",
        "--results",
        str(results_file),
        "--output",
        str(artifacts),
        *args,
    ]
    log = results_file.with_suffix(".log")
    # Output goes to a file, not a pipe: a browser process that outlives pytest would hold a pipe
    # open and stall the reader. Its own session lets us clear away anything left behind.
    with log.open("w") as out:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            returncode, peak_rss_kib = _wait(proc, timeout)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    results = {r.id: r for r in read_jsonl(results_file)} if results_file.exists() else {}
    text = results_file.read_text() if results_file.exists() else ""
    return SuiteRun(results, returncode, log.read_text(errors="replace"), text, artifacts, peak_rss_kib / 1024)


def _wait(proc: subprocess.Popen, timeout: float) -> tuple[int, int]:
    """Reap the child with wait4, which also tells its own peak RSS (KiB): RUSAGE_CHILDREN would
    give the largest of every child this process ever had."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_maxrss
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(proc.args, timeout)
        time.sleep(0.05)


def artifacts_holding(root: Path, secret: str) -> list[str]:
    """Kept files (and members of trace zips) whose bytes contain ``secret``."""
    found = []
    needle = secret.encode()
    for path in root.rglob("*") if root.exists() else ():
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                found += [f"{path.name}:{name}" for name in archive.namelist() if needle in archive.read(name)]
        elif path.is_file() and needle in path.read_bytes():
            found.append(str(path))
    return found
