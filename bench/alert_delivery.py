"""Alert delivery against hostile receivers: the wall time of one run's alerting and what each
receiver got compared with what the monitor recorded (the issue's table: a drip receiver, one
answering after 30 s, one that hangs, seven messages on three channels).

    uv run python bench/alert_delivery.py                 # the profile's defaults: 10 s deadline, 60 s budget
    uv run python bench/alert_delivery.py --timeout 2 --budget 10
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.alerts import dispatch
from monitor.alerts.state import AlertState
from monitor.history.store import HistoryStore, RunInfo
from monitor.profile import Profile
from monitor.results import CheckResult, Verdict
from testkit.receivers import HttpReceiver

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
MESSAGES = 7


def history(path: Path) -> datetime:
    """Seven checks failing in two runs: seven "opened" messages per channel."""
    with HistoryStore(path) as store:
        for n in range(2):
            run_id, started = f"run-{n}", T0 + timedelta(minutes=5 * n)
            store.begin_run(RunInfo(run_id, "t", started.isoformat(timespec="milliseconds")))
            for seq in range(MESSAGES):
                store.add(
                    CheckResult(
                        "health", f"svc{seq}", Verdict.FAIL, "down", target="t", path="/h", run_id=run_id, suite="smoke"
                    ),
                    seq,
                )
    return T0 + timedelta(minutes=6)


def profile(url: str, timeout: float, budget: float) -> Profile:
    return Profile.model_validate(
        {
            "name": "t",
            "services": {
                "backend": {"base_url": "https://api.example.test", "latency_ms": 500, "health": [{"path": "/h"}]}
            },
            "secrets": {"slack": "BENCH_SLACK", "hook": "BENCH_HOOK", "gh": "BENCH_GH"},
            "alerts": {
                "delivery_timeout_s": timeout,
                "delivery_budget_s": budget,
                "burn_rate": False,
                "channels": [
                    {"name": "chat", "kind": "slack", "url_secret": "slack"},
                    {"name": "hook", "kind": "webhook", "url_secret": "hook"},
                    {"name": "issues", "kind": "github", "repo": "acme/status", "token_secret": "gh", "api_url": url},
                ],
            },
        }
    )


def scenario(how: str, timeout: float, budget: float, runs: int, folder: Path) -> None:
    http = HttpReceiver.start()
    http.drip_s, http.slow_s = 4.0, 30.0
    for prefix in ("/slack", "/hook", "/repos"):
        http.hostile[prefix] = how
    secrets = {"slack": f"{http.url}/slack", "hook": f"{http.url}/hook", "gh": "token"}
    path = folder / f"{how}.sqlite"
    now = history(path)
    chosen = profile(http.url, timeout, budget)
    try:
        for run in range(runs):
            started = time.monotonic()
            outcome = dispatch.evaluate(
                chosen, path, now + timedelta(minutes=5 * run), f"r{run}", secret=secrets.__getitem__
            )
            took = time.monotonic() - started
            with AlertState(path) as state:
                states: dict[str, int] = {}
                for d in state.all():
                    states[d.state] = states.get(d.state, 0) + 1
            print(
                f"{how:6} run {run + 1}: {took:6.1f} s  receiver got {len(http.received):3} requests "
                f"(slack {len(http.got('/slack'))}, webhook {len(http.got('/hook'))}, github "
                f"{len(http.got('/repos'))})  monitor: {len(outcome.sent)} sent, {len(outcome.unconfirmed)} "
                f"unconfirmed, {len(outcome.failed)} not delivered or not sent; rows {states}"
            )
    finally:
        http.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    print(f"{MESSAGES} messages x 3 channels, delivery_timeout_s={args.timeout:g}, delivery_budget_s={args.budget:g}")
    with tempfile.TemporaryDirectory() as tmp:
        for how in ("drip", "slow", "hang"):
            scenario(how, args.timeout, args.budget, args.runs, Path(tmp))


if __name__ == "__main__":
    main()
