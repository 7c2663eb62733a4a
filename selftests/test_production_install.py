"""A scheduled production run installs only the project's dependencies, not the sandbox's group
(`uv sync --no-default-groups`): the suites must collect and run a real target's checks without
trustme, FastAPI, uvicorn or stripe importable."""

import subprocess
import sys

from suite_runner import ROOT

SANDBOX_ONLY = ("trustme", "fastapi", "uvicorn", "stripe", "starlette")

# Runs pytest with an import hook that refuses the sandbox's dependencies.
BLOCKED_PYTEST = f"""
import sys, pytest

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {SANDBOX_ONLY!r}:
            raise ImportError(f"{{name}} is a sandbox dependency")

sys.meta_path.insert(0, Refuse())
sys.exit(pytest.main(sys.argv[1:]))
"""


def test_suites_collect_against_a_real_target_without_sandbox_dependencies(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCKED_PYTEST,
            "tests",
            "--collect-only",
            "-q",
            "--target",
            "production.example",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tests/smoke/test_health.py::test_health[frontend/api/health]" in proc.stdout
    assert "ImportError" not in proc.stdout + proc.stderr
