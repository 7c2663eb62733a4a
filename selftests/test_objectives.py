"""The latency objectives measure what they name: the chat objective is the time from sending a
message to the stream's done frame, as the chat journey measured it in Chromium. A healthy sandbox
meets it; with the sandbox's slow chat pipeline (``chat-too-slow``: replies after the threshold
plus a second) the objective is missed, with the journey's own figure as its p95."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.history.store import HistoryStore
from monitor.profile import load_profile
from monitor.slo.report import from_history

CHAT = "tests/journeys/test_chat.py"


def chat_objective(history):
    profile = load_profile("sandbox")
    with HistoryStore(history) as store:
        _, report = from_history(store, "sandbox", profile.slo, datetime.now(UTC), list(profile.services))
    return next(r for r in report.latency if r.name == "chat"), profile


def test_the_chat_objective_is_the_time_to_done_and_the_slow_pipeline_misses_it(run_against_sandbox, tmp_path):
    history = tmp_path / "history.sqlite"
    healthy = run_against_sandbox(CHAT, "--history", str(history))
    assert healthy.returncode == 0, healthy.output
    done_ms = healthy.results["journey:frontend:chat"].details["done_ms"]
    objective, profile = chat_objective(history)
    assert profile.slo.latency["chat"].measure == "done_ms"
    assert (objective.samples, objective.p95_ms, objective.met) == (1, done_ms, True)

    slow = run_against_sandbox(CHAT, "--history", str(history), faults={"chat-too-slow": {}})
    assert slow.not_passing() == {"journey:frontend:chat": ("fail", "journey")}, slow.output
    slow_ms = slow.results["journey:frontend:chat"].details["done_ms"]
    objective, _ = chat_objective(history)
    # nearest-rank p95 of two samples is the larger: the slow reply, over the 2 s objective
    assert (objective.samples, objective.p95_ms, objective.met) == (2, slow_ms, False)
    assert slow_ms > objective.objective_ms
