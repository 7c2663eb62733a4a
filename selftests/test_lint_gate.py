"""The lint and type gate (settings in pyproject.toml): ruff's lint and format on the whole tree,
mypy on the packages, the benchmarks, the suites and the self-tests."""

import subprocess
import sys
from pathlib import Path

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


def test_import_rules_hold():
    """The house's import rules ([tool.importlinter] in pyproject.toml, the map in
    docs/development.md): product code never imports the sandbox, analysers stay pure (no
    network, no probe), constants flow from the profile to the analysers, no cycles between
    monitor's rooms. An ignored import that no longer exists is an error too, so the exceptions
    list can only shrink."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
