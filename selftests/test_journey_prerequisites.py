"""A journey that creates accounts and lacks a prerequisite is one skip with the root reason, found
before any fixture runs: proven with a browser that cannot start (Firefox is not installed), which
would turn any later discovery into an error."""

from __future__ import annotations

import pytest
from suite_runner import ROOT, run_suite

from slurpy_sandbox import STATE_ENV

SHIPPED = (ROOT / "targets" / "sandbox.toml").read_text()
ACCOUNT_JOURNEYS = ("tests/journeys/test_sign_up.py", "tests/journeys/test_payment.py")


@pytest.mark.parametrize(
    "change,reason",
    [
        (
            ('test_accounts_path = "/api/test-accounts"', ""),
            "sets no journeys.test_accounts_path: the monitor cannot create",
        ),
        (
            ('admin_token = "SLURPY_SANDBOX_ADMIN_TOKEN"', ""),
            "sets journeys.test_accounts_path but names no admin_token",
        ),
    ],
    ids=["no-test-account-api", "no-admin-token-named"],
)
def test_a_missing_prerequisite_is_one_skip_with_the_root_reason_before_any_browser(sandbox, tmp_path, change, reason):
    targets = tmp_path / "targets"
    targets.mkdir()
    assert change[0] in SHIPPED
    (targets / "sandbox.toml").write_text(SHIPPED.replace(*change))
    env = {STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox", "SLURPY_TARGETS_DIR": str(targets)}
    run = run_suite(ACCOUNT_JOURNEYS[0], tmp_path / "r.jsonl", ACCOUNT_JOURNEYS[1], "--browser", "firefox", env=env)
    assert run.returncode == 0, run.output
    assert len(run.results) == 2 and all(r.verdict.value == "skip" for r in run.results.values()), run.output
    assert all(reason in r.message for r in run.results.values()), run.output
