"""The missed-run watchdog as GitHub would run it (act in host mode, testkit/act_harness.py): one
scheduled smoke job of monitor.yml, then the schedule falls silent; watchdog.yml, on its own
schedule half an hour later, imports the data branch and raises ``missed-runs:smoke`` once at a
local webhook receiver, the secret reaching it through ``SLURPY_SECRETS``; an hour later it
finds the alert already sent on the data branch and sends nothing again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from slurpy_sandbox import STATE_ENV
from testkit.act_harness import Rehearsal
from testkit.profiles import production_profile
from testkit.receivers import HttpReceiver

WEBHOOK = """
[alerts]
delivery_backoff_s = 0
delivery_attempts = 2
burn_rate = false

[[alerts.channels]]
name = "ops-hook"
kind = "webhook"
url_secret = "ops_webhook"
"""


@pytest.mark.slow  # three act jobs: in `./run tests --full` (CI, nightly), not in `./run tests`
def test_the_watchdog_workflow_raises_missed_runs_once_from_the_data_branch(sandbox, tmp_path):
    receiver = HttpReceiver.start()
    rehearsal = Rehearsal(tmp_path / "watchdog")
    try:
        profile = production_profile().replace("[secrets]\n", '[secrets]\nops_webhook = "SLURPY_PROD_OPS_WEBHOOK"\n', 1)
        rehearsal.commit({"targets/production.toml": profile + WEBHOOK}, "production: the sandbox, a webhook channel")
        secrets = {"SLURPY_PROD_OPS_WEBHOOK": f"{receiver.url}/ops"}
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        base = now - timedelta(minutes=120 + now.minute % 5)
        sandbox.clear()
        smoke = rehearsal.run(
            "monitor.yml",
            "schedule",
            {"schedule": "*/5 * * * *"},
            secrets=secrets,
            env={STATE_ENV: str(sandbox.state_file)},
            clock=base + timedelta(seconds=20),
        )
        assert smoke.ok, smoke.output()[-3000:]
        assert receiver.got("/ops") == []
        first = rehearsal.run(
            "watchdog.yml", "schedule", {"schedule": "37 * * * *"}, secrets=secrets, clock=base + timedelta(minutes=37)
        )
        assert first.step("Push the alert state to the data branch").ok, first.output()[-3000:]
        [opened] = [r.json for r in receiver.got("/ops")]
        assert (opened["kind"], opened["check_id"]) == ("opened", "missed-runs:smoke"), opened
        assert "expected runs missed" in opened["last_error"]
        again = rehearsal.run(
            "watchdog.yml", "schedule", {"schedule": "37 * * * *"}, secrets=secrets, clock=base + timedelta(minutes=97)
        )
        assert again.step("Push the alert state to the data branch").ok, again.output()[-3000:]
        assert len(receiver.got("/ops")) == 1, "the second watchdog job read the first one's delivery from the branch"
        facts = [
            json.loads(line)
            for f in rehearsal.data_branch_files()
            if f.startswith("history/production/alerts/")
            for line in rehearsal.data_branch(f).splitlines()
            if line.strip()
        ]
        assert [f["state"] for f in facts if f["alert"] == "outcome"] == ["sent"]
        assert {f["alert"] for f in facts} >= {"planned", "claim", "outcome"}
    finally:
        rehearsal.close()
        receiver.stop()
