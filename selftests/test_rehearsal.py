"""The workflow files themselves, run by act in host mode (selftests/act_harness.py), the data
branch in a bare repository on disk. In `./run tests`: two scheduled smoke jobs of monitor.yml, the
second starting from what the first pushed. Marked slow (`./run tests --full`): ten scheduled smoke
jobs against the sandbox with a fault on in jobs 3-6, each on its own 5-minute slot (libfaketime);
ci.yml passing and failing.

What a rehearsal proves and what it does not (act is not GitHub): docs/github.md, "Rehearsing the
workflows with act"."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from act_harness import ActRun, Rehearsal, clock_env
from receivers import HttpReceiver, SmtpReceiver
from rehearsal_profile import ALERT_SECRETS, production_profile

from slurpy_sandbox import STATE_ENV

SCHEDULE = {"schedule": "*/5 * * * *"}
FAULT, FAULTY_JOBS = "backend-degraded", range(3, 7)
JOBS = range(1, 11)
SLURPY_MONITOR = Path(sys.executable).parent / "slurpy-monitor"


def slot_base() -> datetime:
    """A 5-minute boundary an hour ago: job k runs 20 s into the slot BASE + 5k minutes, in the past
    (the sandbox's certificates are valid then, and no job runs in the future)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now - timedelta(minutes=60 + now.minute % 5)


def test_a_scheduled_job_starts_from_the_history_the_last_one_pushed(sandbox, tmp_path):
    rehearsal = Rehearsal(tmp_path / "two")
    try:
        rehearsal.commit({"targets/production.toml": production_profile()}, "the production profile (the sandbox)")
        sandbox.clear()
        sandbox.switch_on(FAULT)
        first = rehearsal.run("monitor.yml", "schedule", SCHEDULE, env={STATE_ENV: str(sandbox.state_file)})
        sandbox.clear()
        second = rehearsal.run("monitor.yml", "schedule", SCHEDULE, env={STATE_ENV: str(sandbox.state_file)})
    finally:
        sandbox.clear()
    try:
        assert not first.ok and first.step("Push the history to the data branch").ok, first.output()[-3000:]
        assert second.ok, second.output()[-3000:]
        imported = second.output("smoke")
        assert "1 runs, 11 records added" in imported, imported[-3000:]  # the first job's run, from the data branch
        runs = [line for line in history_lines(rehearsal) if line.get("kind") == "run" and not line.get("finished")]
        assert [r["runner"].rsplit(" ", 1)[-1] for r in sorted(runs, key=lambda r: r["started"])] == ["1/1", "2/1"]
    finally:
        rehearsal.close()


@dataclass
class TenJobs:
    rehearsal: Rehearsal
    base: datetime
    runs: dict[int, ActRun]
    # What each channel received during each job, as (job, title) in order.
    messages: dict[str, list[tuple[int, str]]]
    webhooks: list[tuple[int, dict]]


@pytest.fixture(scope="module")
def ten_jobs(sandbox, tmp_path_factory):
    """monitor.yml's smoke job ten times, as the cron would start it, the fault on in jobs 3-6, its
    alerts going to a Slack-compatible webhook, a generic webhook and an SMTP server."""
    rehearsal = Rehearsal(tmp_path_factory.mktemp("rehearsal"))
    http, smtp = HttpReceiver.start(), SmtpReceiver(tmp_path_factory.mktemp("smtp"))
    secrets = {ALERT_SECRETS["slack_webhook"]: f"{http.url}/slack", ALERT_SECRETS["ops_webhook"]: f"{http.url}/hook",
               ALERT_SECRETS["smtp_user"]: smtp.user, ALERT_SECRETS["smtp_password"]: smtp.password}
    rehearsal.commit({"targets/production.toml": production_profile(smtp.port, smtp.ca_file)},
                     "the production profile (the sandbox, alerting to local receivers)")
    done = TenJobs(rehearsal, slot_base(), {}, {"slack": [], "webhook": [], "email": []}, [])
    try:
        for job in JOBS:
            sandbox.clear()
            if job in FAULTY_JOBS:
                sandbox.switch_on(FAULT)
            seen = (len(http.got("/slack")), len(http.got("/hook")), len(smtp.messages))
            done.runs[job] = rehearsal.run("monitor.yml", "schedule", SCHEDULE, env={STATE_ENV: str(sandbox.state_file)},
                                           secrets=secrets, clock=done.base + timedelta(minutes=5 * job, seconds=20))
            done.messages["slack"] += [(job, r.json["text"].split("\n")[0]) for r in http.got("/slack")[seen[0]:]]
            done.webhooks += [(job, r.json) for r in http.got("/hook")[seen[1]:]]
            done.messages["webhook"] += [(job, r.json["title"]) for r in http.got("/hook")[seen[1]:]]
            done.messages["email"] += [(job, " ".join(m["Subject"].split())) for m in smtp.messages[seen[2]:]]  # unfolded
        sandbox.clear()
        yield done
    finally:
        rehearsal.close()
        http.stop()
        smtp.stop()


def history_lines(rehearsal: Rehearsal) -> list[dict]:
    # The day files of results; the alert state beside them (history/production/alerts/) is not results.
    files = [f for f in rehearsal.data_branch_files() if f.startswith("history/production/") and f.count("/") == 2]
    return [json.loads(line) for f in files for line in rehearsal.data_branch(f).splitlines() if line.strip()]


@pytest.mark.slow
def test_each_scheduled_job_runs_the_workflow_and_keeps_its_run_on_the_data_branch(ten_jobs):
    rehearsal, base, runs = ten_jobs.rehearsal, ten_jobs.base, ten_jobs.runs
    for job, run in runs.items():
        assert run.ok == (job not in FAULTY_JOBS), run.output()[-3000:]
        assert run.step("Run smoke").ok == (job not in FAULTY_JOBS)
        assert run.step("Push the history to the data branch").ok
        [artifact] = list(run.artifacts.iterdir())
        assert artifact.name == f"smoke-production-{job}-1"  # the run id act was given
        assert list((artifact / "results").glob("*-production.jsonl")) and not list(artifact.rglob("history.sqlite*"))
    lines = history_lines(rehearsal)
    starts = sorted((line for line in lines if line.get("kind") == "run" and not line.get("finished")),
                    key=lambda line: line["started"])
    assert len(starts) == 10, "every job's run reached the data branch (none lost to a push race or a fresh runner)"
    assert [datetime.fromisoformat(s["started"]).replace(second=0, microsecond=0) for s in starts] == [
        base + timedelta(minutes=5 * job) for job in JOBS]
    assert {s["schedule"] for s in starts} == {"*/5 * * * *"}
    failed = {}
    for line in lines:
        if line.get("kind") is None and line["verdict"] not in ("pass", "skip"):
            failed.setdefault(line["run_id"], set()).add((line["id"], line["verdict"], line["category"]))
    run_ids = [s["run_id"] for s in starts]
    assert {run_ids.index(r) + 1: v for r, v in failed.items()} == {
        job: {("health:backend:/health/healthz", "fail", "body")} for job in FAULTY_JOBS}


@pytest.mark.slow
def test_uptime_after_the_ten_jobs_is_the_figure_computed_by_hand(ten_jobs, tmp_path):
    rehearsal, base = ten_jobs.rehearsal, ten_jobs.base
    data = rehearsal.clone_data_branch(tmp_path / "data")
    history = tmp_path / "history.sqlite"
    # Read as the next job would see it: at the end of the tenth slot.
    at = base + timedelta(minutes=55)
    env = {**os.environ, **clock_env(at)}
    subprocess.run([SLURPY_MONITOR, "history", "import", str(data / "history"), "--history", str(history)],
                   check=True, capture_output=True, env=env)
    done = subprocess.run([SLURPY_MONITOR, "uptime", "--json", "--target", "production", "--history", str(history)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    services = {s["name"]: s["uptime"]["1h"] for s in json.loads(done.stdout)["services"]}
    # By hand: ten 5-minute slots, each observed by its job; the backend's health failed in jobs 3-6.
    slot = 300.0
    down = {"backend": len(FAULTY_JOBS) * slot}
    for service, figure in services.items():
        assert (figure["up_s"], figure["down_s"], figure["known_s"], figure["runs"]) == (
            10 * slot - down.get(service, 0), down.get(service, 0), 10 * slot, 10), service
        assert figure["uptime"] == pytest.approx(1 - down.get(service, 0) / (10 * slot)), service
    assert set(services) == {"frontend", "backend", "mcp"}


@pytest.mark.slow
def test_ci_workflow_runs_the_project_tests_and_fails_when_they_fail(tmp_path):
    """ci.yml as a push runs it: install, Chromium check, `.ci/run` (= `./run tests`). The whole
    self-test suite inside would take minutes (and contain this test): PYTEST_ADDOPTS narrows
    `./run tests` to one small test, which is the harness's difference, not the workflow's."""
    rehearsal = Rehearsal(tmp_path / "ci")
    try:
        push = {"ref": "refs/heads/main", "repository": {"full_name": "acme/slurpy-monitor"}}
        passing = rehearsal.run("ci.yml", "push", push, env={"PYTEST_ADDOPTS": "-q -k test_there_are_the_workflows_the_readme_names"})
        assert passing.ok and passing.step("Tests").ok, passing.output()[-3000:]
        assert " passed" in passing.output()
        failing = rehearsal.run("ci.yml", "push", push, env={"PYTEST_ADDOPTS": "-k no_test_has_this_name"})
        assert not failing.ok and not failing.step("Tests").ok, failing.output()[-3000:]
        assert "no tests ran" in failing.output() or "deselected" in failing.output()
    finally:
        rehearsal.close()


def incidents_heard(ten_jobs: TenJobs) -> dict[str, list[tuple[int, str]]]:
    """What the webhook heard, per incident: [(job, kind)]."""
    heard: dict[str, list[tuple[int, str]]] = {}
    for job, message in ten_jobs.webhooks:
        heard.setdefault(message["check_id"], []).append((job, message["kind"]))
    return heard


@pytest.mark.slow
def test_the_backends_incident_opens_and_resolves_once_on_each_channel_across_the_jobs(ten_jobs):
    """The alert state outlives each job (it travels on the data branch): the backend's incident
    opens in job 4 (the second failed run, open_after = 2) and resolves in job 8 (the second
    passing run), and each channel hears of it once each way."""
    assert incidents_heard(ten_jobs)["backend"] == [(FAULTY_JOBS[0] + 1, "opened"), (FAULTY_JOBS[-1] + 2, "resolved")]
    cause = "backend health /health/healthz failing [body]: failing dependencies: qdrant; expected ok == true, got false"
    expected = [(FAULTY_JOBS[0] + 1, f"[CRITICAL] production: {cause}"),
                (FAULTY_JOBS[-1] + 2, f"[RESOLVED] production: backend recovered (was: {cause})")]
    for channel, received in ten_jobs.messages.items():
        assert [(job, title) for job, title in received if "backend" in title] == expected, channel


@pytest.mark.slow
def test_the_gate_workflow_passes_a_healthy_deployment_and_fails_a_broken_one(sandbox, tmp_path):
    """gate.yml by hand (workflow_dispatch), through the action at the repository's root (`uses: ./`),
    against the sandbox as production: every suite green on a healthy deployment, each record
    stamped with the version; the job fails when the backend is down. No history token is given,
    so the gate reads and writes no history (it would fetch it from github.com)."""
    rehearsal = Rehearsal(tmp_path / "gate")
    env = {STATE_ENV: str(sandbox.state_file)}
    try:
        rehearsal.commit({"targets/production.toml": production_profile()}, "the production profile (the sandbox)")
        sandbox.clear()
        healthy = rehearsal.run("gate.yml", "workflow_dispatch", {"inputs": {"target": "production", "version": "3f2c1ab"}},
                                env=env)
        assert healthy.ok and healthy.step("Gate").ok, healthy.output()[-4000:]
        [records] = list(healthy.artifacts.glob("gate-production-1-1/results/*-production.jsonl"))
        results = [json.loads(line) for line in records.read_text().splitlines()]
        assert {r["suite"] for r in results} == {"smoke", "security", "journeys"}
        assert {r["deploy_version"] for r in results} == {"3f2c1ab"}
        assert not [r for r in results if r["verdict"] not in ("pass", "skip")]
        sandbox.switch_on("backend-down")
        broken = rehearsal.run("gate.yml", "workflow_dispatch",
                               {"inputs": {"target": "production", "version": "3f2c1ac", "suites": "smoke"}}, env=env)
        assert not broken.ok and not broken.step("Gate").ok, broken.output()[-4000:]
        assert "backend" in broken.output() and "[connect]" in broken.output()
    finally:
        sandbox.clear()
        rehearsal.close()


@pytest.mark.slow
def test_each_channel_gets_one_opened_and_one_resolved_per_incident_across_the_jobs(ten_jobs):
    """Every incident the ten jobs raised, burn-rate alerts included, reached each channel once
    opened and once resolved, and the three channels heard the same messages."""
    heard = incidents_heard(ten_jobs)
    assert {check_id: [kind for _, kind in events] for check_id, events in heard.items()} == {
        check_id: ["opened", "resolved"] for check_id in heard}, heard
    assert heard["backend"] == [(FAULTY_JOBS[0] + 1, "opened"), (FAULTY_JOBS[-1] + 2, "resolved")]
    titles = [title for _, title in ten_jobs.messages["webhook"]]
    assert [t for _, t in ten_jobs.messages["slack"]] == titles, "Slack got what the webhook got"
    assert [t for _, t in ten_jobs.messages["email"]] == titles, "e-mail got what the webhook got"


@pytest.mark.slow
def test_no_burn_rate_alert_before_open_after(ten_jobs):
    early = {check_id: events[0] for check_id, events in incidents_heard(ten_jobs).items() if events[0][0] <= FAULTY_JOBS[0]}
    assert early == {}, f"alerts opened on the first failed run (job {FAULTY_JOBS[0]}), before open_after = 2"
