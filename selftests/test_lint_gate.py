"""The lint and type gate (settings in pyproject.toml): ruff's lint and format on the whole tree,
mypy on the packages, the benchmarks and the load scenarios."""

import subprocess
import sys

import pytest
from suite_runner import ROOT


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff", "ruff-format", "mypy"],
)
def test_gate_passes_on_the_whole_tree(command):
    proc = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
