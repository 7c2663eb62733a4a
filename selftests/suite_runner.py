"""Run a monitoring suite in a child pytest and read back its check results."""
from __future__ import annotations

import os
import subprocess
import sys
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

    def not_passing(self) -> dict[str, tuple[str, str | None]]:
        return {i: (r.verdict.value, r.category.value if r.category else None)
                for i, r in self.results.items() if r.verdict.value not in ("pass", "flaky")}


def run_suite(suite: str, results_file: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 300) -> SuiteRun:
    command = [sys.executable, "-m", "pytest", suite, "-q", "-p", "no:cacheprovider",
               "--results", str(results_file), *args]
    proc = subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    results = {r.id: r for r in read_jsonl(results_file)} if results_file.exists() else {}
    text = results_file.read_text() if results_file.exists() else ""
    return SuiteRun(results, proc.returncode, proc.stdout + proc.stderr, text)
