"""The sweep removes synthetic accounts a crashed run left behind, and nothing else."""

import os
import ssl
import subprocess
import sys

import httpx
from suite_runner import ROOT


def test_sweep_removes_leftover_synthetic_accounts_only(sandbox):
    sandbox.clear()
    token = sandbox.state["secrets"]["SLURPY_SANDBOX_ADMIN_TOKEN"]
    for email in ("monitor+crashed-1@sandbox.test", "monitor+crashed-2@sandbox.test"):
        httpx.post(
            sandbox.urls["frontend"] + "/api/test-accounts",
            verify=ssl.create_default_context(cafile=sandbox.ca_bundle),
            trust_env=False,
            headers={"Authorization": f"Bearer {token}"},
            json={"email": email, "password": "pw-123456", "first_name": "Left"},
        ).raise_for_status()
    assert len(sandbox.test_accounts()) == 2
    env = {**os.environ, "SLURPY_SANDBOX_STATE": str(sandbox.state_file), "SLURPY_TARGET": "sandbox"}
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.commands.sweep"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "2 synthetic account(s) removed on sandbox" in proc.stdout
    assert sandbox.test_accounts() == []
    assert token not in proc.stdout + proc.stderr
