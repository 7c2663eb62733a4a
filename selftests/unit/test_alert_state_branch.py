"""The alert state survives GitHub's runners: each "job" here is what a scheduled job is, a fresh
clone with a fresh SQLite file, a local bare repository as ``origin``: check out the data branch
(``history-branch checkout``), append its run to the text history, ``history import`` it (the
alert state with it), alert with the claim pushed before sending (``$SLURPY_STATE_SYNC``), and
publish. Receiver-side counts are compared with what the jobs themselves recorded.

- in sequence, pass, fail ×3, pass ×2: exactly one "opened" and one "resolved" per channel (no
  job re-sends what an earlier job sent; the resolution is not forgotten);
- two jobs overlapping, both claiming the same messages before either pushed: one copy each."""

from __future__ import annotations

import itertools
import os
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_alerts import OPENED, make_profile

from monitor.alerts import dispatch
from monitor.alerts.state import AlertLog, fold
from monitor.commands.monitor import main
from monitor.history import textlog
from monitor.history.store import RunInfo
from monitor.results import CheckResult, Verdict
from testkit.receivers import HttpReceiver

ROOT = Path(__file__).resolve().parents[2]
HISTORY_BRANCH = ROOT / ".github" / "scripts" / "history-branch"
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def origin(tmp_path, monkeypatch) -> Path:
    for name in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(name, "t")
    for name in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(name, "t@example.com")
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", f"file://{bare}", "seed")
    (seed / "README").write_text("monitor\n")
    git(seed, "add", "README")
    git(seed, "commit", "-q", "-m", "seed")
    git(seed, "push", "-q", "origin", "main")
    return bare


@pytest.fixture
def http():
    receiver = HttpReceiver.start()
    yield receiver
    receiver.stop()


class Job:
    """One scheduled job, up to its alerting step; ``alert()`` then ``publish()``."""

    def __init__(self, origin: Path, where: Path, n: int, verdict: str):
        self.clone, self.n = where, n
        git(where.parent, "clone", "-q", f"file://{origin}", where.name)
        checkout = subprocess.run([str(HISTORY_BRANCH), "checkout", "data"], cwd=where, capture_output=True, text=True)
        assert checkout.returncode == 0, checkout.stderr
        self.data, self.sqlite = where / "data", where / "results" / "history.sqlite"
        self.started = START + timedelta(minutes=5 * n)
        self.run_id = f"job-{n:02d}"
        info = RunInfo(self.run_id, "t", self.started.isoformat(timespec="milliseconds"))
        day = textlog.day_file(self.data / "history", "t", self.started)
        textlog.append_line(day, info.to_line())
        textlog.append_line(
            day,
            CheckResult(
                "health",
                "backend",
                Verdict(verdict),
                f"backend health {verdict}",
                target="t",
                url="https://api.example.test/health/healthz",
                path="/health/healthz",
                run_id=self.run_id,
                suite="smoke",
            ).to_dict(),
        )
        assert (
            main(["history", "import", str(self.data / "history"), "--days", "2", "--history", str(self.sqlite)]) == 0
        )

    def sync(self, message: str) -> str | None:
        return dispatch.Sync((str(HISTORY_BRANCH), "publish", str(self.data)))(message)

    def alert(self, profile, sync=None) -> dispatch.Outcome:
        return dispatch.evaluate(
            profile,
            self.sqlite,
            self.started + timedelta(minutes=1),
            self.run_id,
            log_dir=self.data / "history",
            sync=sync or self.sync,
        )

    def publish(self) -> None:
        assert self.sync(f"run {self.run_id}") is None


def counts(http: HttpReceiver) -> tuple[list[str], list[str], int, list[int]]:
    slack = [r.json["text"].split("]")[0] + "]" for r in http.got("/slack")]
    hook = [r.json["kind"] for r in http.got("/hook")]
    return slack, hook, len(http.issues), [len(i["comments"]) for i in http.issues.values()]


def test_jobs_in_sequence_send_one_opened_and_one_resolved_per_channel(origin, http, monkeypatch, tmp_path):
    profile = make_profile(http, monkeypatch, tmp_path)
    sent: list[str] = []
    for n, verdict in enumerate(["pass", "fail", "fail", "fail", "pass", "pass"]):
        job = Job(origin, tmp_path / f"job{n}", n, verdict)
        outcome = job.alert(profile)
        assert outcome.failed == [] and outcome.unconfirmed == [], outcome.lines()
        sent += [f"{job.run_id}: {line}" for line in outcome.sent]
        job.publish()
    assert counts(http) == (["[CRITICAL]", "[RESOLVED]"], ["opened", "resolved"], 1, [1])
    assert http.issues[1]["state"] == "closed" and http.issues[1]["title"] == OPENED
    assert [line.split(" ->")[0] for line in sent] == ["job-02: opened backend"] * 3 + ["job-05: resolved backend"] * 3
    facts, skipped = AlertLog(tmp_path / "job5" / "data" / "history").lines("t")  # the data branch, as job 5 left it
    assert skipped == [] and {f["alert"] for f in facts} == {"meta", "planned", "claim", "outcome"}


def test_two_overlapping_jobs_send_each_message_once(origin, http, monkeypatch, tmp_path):
    profile = make_profile(http, monkeypatch, tmp_path)
    first = Job(origin, tmp_path / "job0", 0, "fail")
    assert first.alert(profile).sent == []
    first.publish()
    both = [Job(origin, tmp_path / f"job1{x}", 1, "fail") for x in "ab"]  # same tip, neither has pushed
    both[1].run_id = "job-01b"
    together = threading.Barrier(2)
    outcomes: dict[str, dispatch.Outcome] = {}

    def run(job: Job) -> None:
        def sync(message: str) -> str | None:
            if message.startswith("alert claims"):
                together.wait(timeout=60)  # both have claimed locally before either pushes
            return job.sync(message)

        outcomes[job.run_id] = job.alert(profile, sync)

    threads = [threading.Thread(target=run, args=(job,)) for job in both]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert counts(http) == (["[CRITICAL]"], ["opened"], 1, [0])
    sent = {run_id: len(outcome.sent) for run_id, outcome in outcomes.items()}
    assert sorted(sent.values()) == [0, 3], sent  # one job sent all three, the other none, by its own record
    for job in both:
        job.publish()
    later = Job(origin, tmp_path / "job2", 2, "fail")
    assert later.alert(profile).sent == [] and counts(http)[:3] == (["[CRITICAL]"], ["opened"], 1)
    state = subprocess.run(
        ["git", "log", "--oneline", "origin/monitor-data"], cwd=later.clone, capture_output=True, text=True
    ).stdout
    assert "alert claims of job-01" in state and os.path.isdir(later.data / "history" / "t" / "alerts")


def test_the_fold_of_alert_lines_does_not_depend_on_their_order():
    """Two jobs' lines, as a union merge may interleave them: the winner's claim and unconfirmed
    outcome, the loser's later claim and its release. Every order gives the same row, and the
    release does not undo "unconfirmed" (which would send a Slack message again)."""
    key = {"incident": "t|c|r1", "event": "opened", "channel": "chat"}
    lines: list[dict[str, Any]] = [
        {
            "alert": "planned",
            **key,
            "target": "t",
            "check_id": "c",
            "seq": 0,
            "message": {"kind": "opened"},
            "created": "2026-12-01T10:00:00",
        },
        {
            "alert": "planned",
            **key,
            "target": "t",
            "check_id": "c",
            "seq": 0,
            "message": {"kind": "later"},
            "created": "2026-12-01T10:00:05",
        },
        {"alert": "claim", **key, "by": "winner", "at": "2026-12-01T10:00:01"},
        {
            "alert": "outcome",
            **key,
            "by": "winner",
            "claim": "2026-12-01T10:00:01",
            "at": "2026-12-01T10:00:03",
            "state": "unconfirmed",
            "attempts": 1,
            "error": "no answer",
            "ref": "",
        },
        {"alert": "claim", **key, "by": "loser", "at": "2026-12-01T10:00:04"},
        {
            "alert": "outcome",
            **key,
            "by": "loser",
            "claim": "2026-12-01T10:00:04",
            "at": "2026-12-01T10:00:05",
            "state": "pending",
            "attempts": 0,
            "error": "claimed by another job first",
            "ref": "",
        },
        {"alert": "meta", "key": "enabled_at", "value": "2026-12-01T09:00:00"},
        {"alert": "meta", "key": "enabled_at", "value": "2026-12-01T09:30:00"},
    ]
    seen = set()
    for order in itertools.permutations(range(len(lines)), len(lines)):
        rows, enabled = fold([lines[i] for i in order])
        [row] = rows
        seen.add((row.state, row.attempts, row.last_error, row.message["kind"], enabled))
        if len(seen) > 1:
            break
    assert seen == {("unconfirmed", 1, "no answer", "opened", "2026-12-01T09:00:00")}


def test_the_sync_command_comes_from_the_environment_as_shell_words_and_reports_failure_in_one_line(tmp_path):
    """As the gate's action writes it (quoted paths), and what a failed push looks like."""
    sync = dispatch.Sync.from_env({"SLURPY_STATE_SYNC": "'/opt/the monitor/history-branch' publish '/tmp/x y/data'"})
    assert sync is not None and sync.command == ("/opt/the monitor/history-branch", "publish", "/tmp/x y/data")
    assert dispatch.Sync.from_env({}) is None
    failing = tmp_path / "push"
    failing.write_text("#!/bin/sh\necho \"pushing $1\" >&2\necho 'could not push to monitor-data' >&2\nexit 1\n")
    failing.chmod(0o755)
    assert dispatch.Sync((str(failing),))("alert claims of r1") == f"{failing} exited 1: could not push to monitor-data"


def test_claims_that_cannot_be_published_are_sent_anyway_and_said(origin, http, monkeypatch, tmp_path):
    """A page is not dropped because git is down; the run's notes say a duplicate is then possible."""
    profile = make_profile(http, monkeypatch, tmp_path)
    for n in range(2):
        job = Job(origin, tmp_path / f"job{n}", n, "fail")
        outcome = job.alert(profile, sync=lambda message: "origin unreachable")
        job.publish()  # the run itself reaches the branch later (the job's own publish step)
    assert counts(http)[:3] == (["[CRITICAL]"], ["opened"], 1) and len(outcome.sent) == 3
    assert any("alert claims not published (origin unreachable): sent anyway" in line for line in outcome.failed)
