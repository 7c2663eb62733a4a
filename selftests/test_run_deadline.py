"""A run deadline (issue 18, item 7): ``slurpy-monitor run all`` against a target that hangs every
request (sandbox/slurpy_sandbox/hostile.py: accepts, never answers, stalls every TLS handshake), with the
production example's defaults (10 s per request, 2 retries) and a short ``[run_deadline_s]``.
What ends the run is asserted, not a clock (bench/run_deadline.py prints the wall time): every
check has a record; a check the deadline cut off mid-request, and every check after it, is
``error [monitor]: run deadline``, never the target's timeout; a check that finished before it
keeps its own verdict; the run exits non-zero."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.browser.journeys import Journey
from monitor.probe import NetworkSettings, Probe, run_deadline
from monitor.profile import load_profile
from monitor.results import Category, Verdict, read_jsonl
from slurpy_sandbox.hostile import HostileServers
from testkit.child_env import bytecode_env
from testkit.profiles import with_deadline

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_S = 12  # the warm-up's own 10 s deadline runs out first, then the first health check is cut
# Two workers start their sessions seconds after the run's deadline clock did (more on a loaded
# machine), then each waits out its own 10 s warm-up: their first checks need a later deadline to
# start at all before it (with 12 s, a loaded machine saw every check "not run", none "stopped").
WORKERS_DEADLINE_S = 20


@pytest.fixture(scope="module")
def hang():
    with HostileServers() as servers:
        yield servers["hang"].url.replace("http://", "https://")


def run_all(
    tmp_path: Path, url: str, *extra: str, deadline_s: float = DEADLINE_S
) -> tuple[subprocess.CompletedProcess, list]:
    targets = tmp_path / "targets"
    targets.mkdir()
    (targets / "hostile.toml").write_text(with_deadline(deadline_s))
    results = tmp_path / "results.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.commands.monitor",
            "run",
            "all",
            "--target",
            "hostile",
            "--url",
            f"frontend={url}",
            "--url",
            f"backend={url}",
            "--url",
            f"mcp={url}",
            "--results",
            str(results),
            "--history",
            "none",
            "--no-alerts",
            *extra,
        ],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SLURPY_TARGETS_DIR": str(targets), **bytecode_env()},
        capture_output=True,
        text=True,
        timeout=deadline_s + 120,
    )
    return proc, read_jsonl(results) if results.exists() else []


@pytest.mark.parametrize(
    "extra,deadline_s", [((), DEADLINE_S), (("-n", "2"), WORKERS_DEADLINE_S)], ids=["serial", "two-workers"]
)
def test_run_all_against_a_target_that_hangs_everything_ends_at_the_deadline(tmp_path, hang, extra, deadline_s):
    proc, records = run_all(tmp_path, hang, *extra, deadline_s=deadline_s)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr
    collected = {r.id for r in records}
    assert {"health:frontend:/api/health", "tls:mcp", "cors:frontend", "journey:frontend:sign-in"} <= collected
    cut = [r for r in records if "run deadline" in r.message]
    assert cut and all(r.verdict is Verdict.ERROR and r.category is Category.MONITOR for r in cut)
    stopped = [r for r in cut if "passed while this check ran: it was stopped there" in r.message]
    not_run = [r for r in cut if "passed before this check started: not run" in r.message]
    assert stopped and not_run and len(stopped) + len(not_run) == len(cut)
    assert all("run_deadline_s." in r.message for r in cut)
    assert len(records) == len(collected)  # one record per check, none twice


@pytest.fixture
def deadline_in():
    def set_in(seconds: float) -> None:
        run_deadline.set_deadline(time.time() + seconds, "the smoke suite's test deadline (run_deadline_s.smoke)")

    yield set_in
    run_deadline.set_deadline(None)


def test_a_request_the_run_deadline_cuts_is_the_monitors_not_the_targets_timeout(hang, deadline_in):
    """A 10 s request deadline, 0.3 s of run left: the attempt is capped, and what ends it is the
    run deadline (RunDeadline), not a timeout blamed on the target; no retry is tried after it."""
    probe = Probe(NetworkSettings(target="hostile", timeout_s=10, retries=2, retry_delay_s=0))
    deadline_in(0.3)
    try:
        with pytest.raises(
            run_deadline.RunDeadline, match=r"run deadline: the smoke suite's .* passed while this check"
        ):
            probe.get(hang + "/health")
    finally:
        probe.close()
    assert probe.exchanges == []  # nothing recorded as the target's answer


def test_a_journey_step_the_run_deadline_cuts_is_not_the_pages_failure(deadline_in):
    journey = Journey("sign-in", load_profile("sandbox"))
    deadline_in(-1)
    with pytest.raises(run_deadline.RunDeadline), journey.step("the page loads"):
        raise TimeoutError("Timeout 5000ms exceeded")  # what Playwright raises when its (capped) wait ran out
    assert journey.failure is None
