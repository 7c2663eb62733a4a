"""The workflow files themselves, run by act in host mode (testkit/act_harness.py), the data
branch in a bare repository on disk. In `./run tests`: two scheduled smoke jobs of monitor.yml, the
second starting from what the first pushed. Marked slow (in `./run tests --full`, which CI runs; `./run tests`
leaves them out): ten scheduled smoke
jobs against the sandbox with a fault on in jobs 3-6, each on its own 5-minute slot (libfaketime),
alerting to Slack-compatible, webhook and SMTP receivers, then the journeys job that builds the
status page; smoke and journeys overlapping; ten more jobs for a crash, then a second outage of the
same service with a "worse" update; ci.yml (its lint step too) and gate.yml passing and failing.
Under `-n 2` the whole module runs on one worker (selftests/conftest.py), so each rehearsal runs once.

What a rehearsal proves and what it does not (act is not GitHub): docs/github.md, "Rehearsing the
workflows with act".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.slo.text import percent
from slurpy_sandbox import STATE_ENV
from testkit.act_harness import ActRun, Launched, Rehearsal, clock_env
from testkit.profiles import ALERT_SECRETS, production_profile
from testkit.receivers import HttpReceiver, SmtpReceiver

SCHEDULE = {"schedule": "*/5 * * * *"}
JOURNEYS = {"schedule": "7 * * * *"}
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
        data = rehearsal.clone_data_branch(tmp_path / "data")
        runs = [line for line in history_lines(data) if line.get("kind") == "run" and not line.get("finished")]
        assert [r["runner"].rsplit(" ", 1)[-1] for r in sorted(runs, key=lambda r: r["started"])] == ["1/1", "2/1"]
        # act ran each job in its own copy of the tree, inside the rehearsal (not ~/.cache/act) ...
        assert f"rootdir: {rehearsal.root / 'act-cache'}" in imported
    finally:
        rehearsal.close()
    assert not rehearsal.root.exists()  # ... and nothing of it is left behind


class Alerting:
    """A rehearsal whose production profile alerts to a Slack-compatible webhook, a generic
    webhook and an SMTP server on 127.0.0.1, and what each received, job by job."""

    def __init__(self, sandbox, root: Path):
        self.sandbox, self.base = sandbox, slot_base()
        self.rehearsal = Rehearsal(root / "rehearsal")
        self.http, self.smtp = HttpReceiver.start(), SmtpReceiver(root)
        self.secrets = {
            ALERT_SECRETS["slack_webhook"]: f"{self.http.url}/slack",
            ALERT_SECRETS["ops_webhook"]: f"{self.http.url}/hook",
            ALERT_SECRETS["smtp_user"]: self.smtp.user,
            ALERT_SECRETS["smtp_password"]: self.smtp.password,
        }
        self.rehearsal.commit(
            {"targets/production.toml": production_profile(self.smtp.port, self.smtp.ca_file)},
            "the production profile (the sandbox, alerting to local receivers)",
        )
        self.runs: dict[int, ActRun] = {}
        # What each channel received, as (job, title) in order; the webhook's JSON as (job, message).
        self.messages: dict[str, list[tuple[int, str]]] = {"slack": [], "webhook": [], "email": []}
        self.webhooks: list[tuple[int, dict]] = []
        self._seen = (0, 0, 0)

    def launch(self, job: int, faults: tuple[str, ...] = (), schedule: dict = SCHEDULE, clock: bool = True) -> Launched:
        self.sandbox.clear()
        for fault in faults:
            self.sandbox.switch_on(fault)
        return self.rehearsal.launch(
            "monitor.yml",
            "schedule",
            schedule,
            env={STATE_ENV: str(self.sandbox.state_file)},
            secrets=self.secrets,
            clock=self.base + timedelta(minutes=5 * job, seconds=20) if clock else None,
        )

    def heard(self, job: int) -> None:
        """File what the receivers got since the last call under ``job``."""
        slack, hooks, mails = self.http.got("/slack"), self.http.got("/hook"), self.smtp.messages
        self.messages["slack"] += [(job, r.json["text"].split("\n")[0]) for r in slack[self._seen[0] :]]
        self.webhooks += [(job, r.json) for r in hooks[self._seen[1] :]]
        self.messages["webhook"] += [(job, r.json["title"]) for r in hooks[self._seen[1] :]]
        self.messages["email"] += [(job, " ".join(m["Subject"].split())) for m in mails[self._seen[2] :]]  # unfolded
        self._seen = (len(slack), len(hooks), len(mails))

    def run(self, job: int, faults: tuple[str, ...] = ()) -> ActRun:
        self.runs[job] = self.launch(job, faults).wait()
        self.heard(job)
        return self.runs[job]

    def close(self) -> None:
        self.sandbox.clear()
        self.rehearsal.close()
        self.http.stop()
        self.smtp.stop()


@dataclass
class TenJobs:
    rehearsal: Rehearsal
    base: datetime
    runs: dict[int, ActRun]
    messages: dict[str, list[tuple[int, str]]]
    webhooks: list[tuple[int, dict]]
    data_after_ten: Path  # the data branch as the tenth job left it
    journeys: ActRun  # the hourly journeys job after them, which builds the status page


@pytest.fixture(scope="module")
def ten_jobs(sandbox, tmp_path_factory):
    """monitor.yml's smoke job ten times, as the cron would start it, the fault on in jobs 3-6, its
    alerts going to a Slack-compatible webhook, a generic webhook and an SMTP server; then the
    hourly journeys job, which rebuilds the status page."""
    alerting = Alerting(sandbox, tmp_path_factory.mktemp("ten"))
    try:
        for job in JOBS:
            alerting.run(job, (FAULT,) if job in FAULTY_JOBS else ())
        data = alerting.rehearsal.clone_data_branch(tmp_path_factory.mktemp("after-ten") / "data")
        journeys = alerting.launch(JOBS[-1] + 1, schedule=JOURNEYS).wait()  # after the tenth slot: all ten whole
        alerting.heard(JOBS[-1] + 1)
        yield TenJobs(
            alerting.rehearsal, alerting.base, alerting.runs, alerting.messages, alerting.webhooks, data, journeys
        )
    finally:
        alerting.close()


def history_lines(data: Path) -> list[dict]:
    """The result lines of a checkout of the data branch (the alert state beside them,
    history/production/alerts/, is not results)."""
    return [
        json.loads(line)
        for day in sorted((data / "history" / "production").glob("*.jsonl"))
        for line in day.read_text().splitlines()
        if line.strip()
    ]


@pytest.mark.slow
def test_each_scheduled_job_runs_the_workflow_and_keeps_its_run_on_the_data_branch(ten_jobs):
    base, runs = ten_jobs.base, ten_jobs.runs
    for job, run in runs.items():
        assert run.ok == (job not in FAULTY_JOBS), run.output()[-3000:]
        assert run.step("Run smoke").ok == (job not in FAULTY_JOBS)
        assert run.step("Push the history to the data branch").ok
        [artifact] = list(run.artifacts.iterdir())
        assert artifact.name == f"smoke-production-{job}-1"  # the run id act was given
        assert list((artifact / "results").glob("*-production.jsonl")) and not list(artifact.rglob("history.sqlite*"))
    lines = history_lines(ten_jobs.data_after_ten)
    starts = sorted(
        (line for line in lines if line.get("kind") == "run" and not line.get("finished")),
        key=lambda line: line["started"],
    )
    assert len(starts) == 10, "every job's run reached the data branch (none lost to a push race or a fresh runner)"
    assert [datetime.fromisoformat(s["started"]).replace(second=0, microsecond=0) for s in starts] == [
        base + timedelta(minutes=5 * job) for job in JOBS
    ]
    assert {s["schedule"] for s in starts} == {"*/5 * * * *"}
    failed: dict[str, set[tuple[str, str, str]]] = {}
    for line in lines:
        if line.get("kind") is None and line["verdict"] not in ("pass", "skip"):
            failed.setdefault(line["run_id"], set()).add((line["id"], line["verdict"], line["category"]))
    run_ids = [s["run_id"] for s in starts]
    assert {run_ids.index(r) + 1: v for r, v in failed.items()} == {
        job: {("health:backend:/health/healthz", "fail", "body")} for job in FAULTY_JOBS
    }


@pytest.mark.slow
def test_uptime_after_the_ten_jobs_is_the_figure_computed_by_hand(ten_jobs, tmp_path):
    base, data = ten_jobs.base, ten_jobs.data_after_ten
    history = tmp_path / "history.sqlite"
    # Read as the next job would see it: at the end of the tenth slot.
    at = base + timedelta(minutes=55)
    env = {**os.environ, **clock_env(at)}
    subprocess.run(
        [SLURPY_MONITOR, "history", "import", str(data / "history"), "--history", str(history)],
        check=True,
        capture_output=True,
        env=env,
    )
    done = subprocess.run(
        [SLURPY_MONITOR, "uptime", "--json", "--target", "production", "--history", str(history)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    services = {s["name"]: s["uptime"]["1h"] for s in json.loads(done.stdout)["services"]}
    # By hand: ten 5-minute slots, each observed by its job; the backend's health failed in jobs 3-6.
    slot = 300.0
    down = {"backend": len(FAULTY_JOBS) * slot}
    for service, figure in services.items():
        assert (figure["up_s"], figure["down_s"], figure["known_s"], figure["runs"]) == (
            10 * slot - down.get(service, 0),
            down.get(service, 0),
            10 * slot,
            10,
        ), service
        assert figure["uptime"] == pytest.approx(1 - down.get(service, 0) / (10 * slot)), service
    assert set(services) == {"frontend", "backend", "mcp"}


@pytest.mark.slow
def test_ci_workflow_runs_the_project_tests_and_fails_when_they_fail(tmp_path):
    """ci.yml as a push runs it: the lint and type gate, then `./run tests`; a lint
    error fails the gate's step and the tests never start. The whole
    self-test suite inside would take minutes (and contain this test): PYTEST_ADDOPTS narrows
    `./run tests` to one small test, which is the harness's difference, not the workflow's."""
    rehearsal = Rehearsal(tmp_path / "ci")
    try:
        push = {"ref": "refs/heads/main", "repository": {"full_name": "acme/slurpy-monitor"}}
        passing = rehearsal.run(
            "ci.yml", "push", push, env={"PYTEST_ADDOPTS": "-q -k test_there_are_the_workflows_the_readme_names"}
        )
        assert passing.ok and passing.step("Tests").ok, passing.output()[-3000:]
        assert " passed" in passing.output()
        assert passing.step("Lint and types").ok
        failing = rehearsal.run("ci.yml", "push", push, env={"PYTEST_ADDOPTS": "-k no_test_has_this_name"})
        assert not failing.ok and not failing.step("Tests").ok, failing.output()[-3000:]
        assert "no tests ran" in failing.output() or "deselected" in failing.output()
        rehearsal.commit({"monitor/unused.py": "import os\n"}, "a lint error")
        unlinted = rehearsal.run("ci.yml", "push", push)
        assert not unlinted.ok and not unlinted.step("Lint and types").ok, unlinted.output()[-3000:]
        assert "F401" in unlinted.output()
        assert not [s for s in unlinted.steps if s.name == "Tests"], "the tests ran after the gate failed"
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
    cause = (
        "backend health /health/healthz failing [body]: failing dependencies: qdrant; expected ok == true, got false"
    )
    expected = [
        (FAULTY_JOBS[0] + 1, f"[CRITICAL] production: {cause}"),
        (FAULTY_JOBS[-1] + 2, f"[RESOLVED] production: backend recovered (was: {cause})"),
    ]
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
        healthy = rehearsal.run(
            "gate.yml", "workflow_dispatch", {"inputs": {"target": "production", "version": "3f2c1ab"}}, env=env
        )
        assert healthy.ok and healthy.step("Gate").ok, healthy.output()[-4000:]
        [records] = list(healthy.artifacts.glob("gate-production-1-1/results/*-production.jsonl"))
        results = [json.loads(line) for line in records.read_text().splitlines()]
        assert {r["suite"] for r in results} == {"smoke", "security", "journeys"}
        assert {r["deploy_version"] for r in results} == {"3f2c1ab"}
        assert not [r for r in results if r["verdict"] not in ("pass", "skip")]
        sandbox.switch_on("backend-down")
        broken = rehearsal.run(
            "gate.yml",
            "workflow_dispatch",
            {"inputs": {"target": "production", "version": "3f2c1ac", "suites": "smoke"}},
            env=env,
        )
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
        check_id: ["opened", "resolved"] for check_id in heard
    }, heard
    assert heard["backend"] == [(FAULTY_JOBS[0] + 1, "opened"), (FAULTY_JOBS[-1] + 2, "resolved")]
    titles = [title for _, title in ten_jobs.messages["webhook"]]
    assert [t for _, t in ten_jobs.messages["slack"]] == titles, "Slack got what the webhook got"
    assert [t for _, t in ten_jobs.messages["email"]] == titles, "e-mail got what the webhook got"


@pytest.mark.slow
def test_no_burn_rate_alert_before_open_after(ten_jobs):
    early = {
        check_id: events[0] for check_id, events in incidents_heard(ten_jobs).items() if events[0][0] <= FAULTY_JOBS[0]
    }
    assert early == {}, f"alerts opened on the first failed run (job {FAULTY_JOBS[0]}), before open_after = 2"


@pytest.mark.slow
def test_the_status_page_the_journeys_job_builds_shows_the_same_uptime(ten_jobs):
    """The hourly journeys job (status-page: true) rebuilds the page into the data branch's docs/:
    the backend's 24-hour uptime there, and on its badge, is the figure computed by hand (60 %)."""
    assert ten_jobs.journeys.ok and ten_jobs.journeys.step("Status page").ok, ten_jobs.journeys.output()[-3000:]
    badge = json.loads(ten_jobs.rehearsal.data_branch("docs/badges/backend/uptime-24h.json"))
    assert badge["message"] == percent(0.6)
    page = ten_jobs.rehearsal.data_branch("docs/index.html")
    assert (
        page.count(f"<span class=meta>uptime 24h</span><b>{percent(0.6)}</b>") == 1
    )  # the backend's; the others 100 %
    assert page.count(f"<span class=meta>uptime 24h</span><b>{percent(1.0)}</b>") == 2


@pytest.mark.slow
def test_two_overlapping_jobs_never_send_the_same_message(sandbox, tmp_path):
    """The backend's incident opens while the HTTP receivers are down (only e-mail gets it), so
    the next two jobs, smoke and journeys started together, both find the same messages owed to
    Slack and the webhook: each is delivered once, and e-mail is not sent again."""
    alerting = Alerting(sandbox, tmp_path)
    try:
        alerting.run(1, (FAULT,))
        alerting.http.down = True
        alerting.run(2, (FAULT,))
        alerting.http.down = False
        assert [kind for _, kind in alerting.messages["email"]] and alerting.messages["slack"] == [], alerting.messages
        smoke, journeys = alerting.launch(3, (FAULT,)), alerting.launch(3, (FAULT,), schedule=JOURNEYS)
        overlapping = smoke.wait(), journeys.wait()
        alerting.heard(3)
        assert not overlapping[0].ok and overlapping[1].ok, [run.output()[-2000:] for run in overlapping]
        opened = [(job, title) for job, title in alerting.messages["email"]]
        assert len(opened) == 1 and opened[0][0] == 2, alerting.messages
        for channel in ("slack", "webhook"):
            assert [title for _, title in alerting.messages[channel]] == [opened[0][1]], (channel, alerting.messages)
    finally:
        alerting.close()


# The backend crashed in jobs 1-2 (announced, then resolved in 4); jobs 5-6 its health is degraded (a
# new incident), jobs 7-8 its latency breaks too ("worse"), healthy in 9-10 (resolved). Three stories
# in one rehearsal of ten jobs: each test below reads its own jobs.
OUTAGES = {
    1: ("backend-down",),
    2: ("backend-down",),
    3: (),
    4: (),
    5: (FAULT,),
    6: (FAULT,),
    7: (FAULT, "backend-slow-health"),
    8: (FAULT, "backend-slow-health"),
    9: (),
    10: (),
}
CRASH, WORSE = range(1, 5), range(5, 11)


@pytest.fixture(scope="module")
def outages(sandbox, tmp_path_factory):
    alerting = Alerting(sandbox, tmp_path_factory.mktemp("outages"))
    try:
        for job, faults in OUTAGES.items():
            alerting.run(job, faults)
    finally:
        alerting.close()
    return alerting


def titles_in(alerting: Alerting, channel: str, jobs: range) -> list[str]:
    return [title for job, title in alerting.messages[channel] if job in jobs]


@pytest.mark.slow
def test_a_crash_is_one_incident_with_its_cause(outages):
    """Jobs 1-2 the backend crashed (connection refused: health, latency and TLS all fail): one
    incident, its cause first, on every channel; healthy again in jobs 3-4, one "resolved"."""
    assert [(job, m["check_id"], m["kind"]) for job, m in outages.webhooks if job in CRASH] == [
        (2, "backend", "opened"),
        (4, "backend", "resolved"),
    ]
    expected = [
        "[CRITICAL] production: backend unreachable: connection refused; also failing: latency, tls",
        "[RESOLVED] production: backend recovered (was: backend unreachable: connection refused)",
    ]
    for channel in outages.messages:
        assert titles_in(outages, channel, CRASH) == expected, channel


@pytest.mark.slow
def test_a_new_problem_while_open_is_one_worse_update(outages):
    """Jobs 5-6 the backend's health is degraded (an incident opens), jobs 7-8 its latency breaks
    too: one "worse" update of the open incident, then, healthy in 9-10, one "resolved"."""
    kinds = [(job, message["check_id"], message["kind"]) for job, message in outages.webhooks if job in WORSE]
    assert kinds == [(6, "backend", "opened"), (8, "backend", "worse"), (10, "backend", "resolved")], kinds
    titles = titles_in(outages, "webhook", WORSE)
    assert titles[1].startswith("[CRITICAL] production: backend worse: ") and "latency" in titles[1], titles
    for channel in ("slack", "email"):
        assert titles_in(outages, channel, WORSE) == titles, channel


@pytest.mark.slow
def test_a_second_outage_of_the_same_service_is_opened_worse_and_resolved_as_its_own_incident(outages):
    """The earlier incident (the crash) in the history must not lend the later one its place: no
    "resolved" in job 7, and the later one's end is told."""
    kinds = [(job, message["kind"]) for job, message in outages.webhooks]
    assert kinds == [(2, "opened"), (4, "resolved"), (6, "opened"), (8, "worse"), (10, "resolved")], kinds
    incidents = [message["incident"] for _, message in outages.webhooks]
    assert incidents[0] == incidents[1] != incidents[2] == incidents[3] == incidents[4], incidents
    titles = [title for _, title in outages.messages["webhook"]]
    assert titles[1] == "[RESOLVED] production: backend recovered (was: backend unreachable: connection refused)"
    assert titles[3].startswith("[CRITICAL] production: backend worse: ") and "latency" in titles[3], titles
    cause = titles[2].split(": ", 1)[1].split("; also failing: ")[0]
    assert titles[4] == f"[RESOLVED] production: backend recovered (was: {cause})", titles
    for channel in ("slack", "email"):
        assert [title for _, title in outages.messages[channel]] == titles, channel
