"""Default-deny on sensitive targets, proven on a throwaway suite so nothing real is touched."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROFILE = """
sensitive = true
{allow}
[services.backend]
base_url = "https://127.0.0.1:1"
latency_ms = 500
[[services.backend.health]]
path = "/h"
"""

SUITE = """
import pytest

@pytest.mark.nondestructive
def test_read_only(profile):
    assert profile.sensitive

def test_signs_up(profile):
    assert profile.allow_destructive

@pytest.mark.budget
@pytest.mark.nondestructive
def test_spends_rate_limit(profile):
    assert profile.allow_budget
"""


def run(tmp_path, allow=""):
    targets = tmp_path / "targets"
    targets.mkdir()
    (targets / "prod.toml").write_text(PROFILE.format(allow=allow))
    (tmp_path / "test_suite.py").write_text(SUITE)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path / "test_suite.py"), "-p", "monitor.plugins.target", "-p", "monitor.plugins.safety", "-p", "monitor.plugins.results", "-rs", "-q",
         "--target", "prod", "-c", str(ROOT / "pyproject.toml"), "--results", str(tmp_path / "r.jsonl")],
        cwd=ROOT, env={"SLURPY_TARGETS_DIR": str(targets), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


def test_sensitive_target_skips_destructive_and_budget_tests_and_says_why(tmp_path):
    out = run(tmp_path)
    assert "1 passed, 2 skipped" in out, out
    assert "target prod is sensitive and this test is destructive (not marked nondestructive); " \
           "set allow_destructive = true in targets/prod.toml to run it" in out
    assert "this test spends its rate-limit/money budget; set allow_budget = true" in out


def test_sensitive_target_runs_them_when_the_profile_opts_in(tmp_path):
    out = run(tmp_path, allow="allow_destructive = true\nallow_budget = true")
    assert "3 passed" in out, out
