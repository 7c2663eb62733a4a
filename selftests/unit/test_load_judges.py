"""The load suite's judges and schedules, without Locust: percentiles, thresholds, too-few-requests, the budget
and bounds gates, chat pacing, the step ramp and the capacity search, the records and table a run ends with."""

import pytest

from monitor.analysers.load import (
    GroupStats,
    bounds_refusal,
    budget_refusal,
    chat_spacing_s,
    group_of,
    judge_group,
    judge_stage,
    percentile,
)
from monitor.load.plan import CapacitySearch, StepRamp
from monitor.load.records import (
    CapacityReport,
    Stage,
    capacity_record,
    generator_record,
    group_record,
    stage_table,
    table,
)
from monitor.profile import LOAD_THRESHOLDS, LoadThreshold, load_profile
from monitor.results import Category, Verdict

API = LOAD_THRESHOLDS["api"]


def stats(requests: int, failures: int = 0, ms: int = 10, slow: int = 0, slow_ms: int = 900) -> GroupStats:
    return GroupStats(
        "api",
        "backend",
        requests,
        failures,
        {ms: requests - slow, **({slow_ms: slow} if slow else {})},
        seconds=10.0,
        errors={"expected 200, got 502": failures} if failures else {},
    )


def test_request_names_carry_their_group():
    assert group_of("api:backend /health/healthz") == ("api", "backend")
    assert group_of("pages:frontend /") == ("pages", "frontend")
    assert group_of("scenario:429 /api/proxy-chat-stream") is None
    assert group_of("/health") is None


def test_nearest_rank_percentiles():
    histogram = {10: 90, 200: 5, 900: 5}
    assert percentile(histogram, 0.5) == 10
    assert percentile(histogram, 0.95) == 200
    assert percentile(histogram, 0.99) == 900
    assert percentile({}, 0.95) is None


def test_within_every_threshold_passes():
    judgement = judge_group(stats(200), API)
    assert judgement.problems == [] and judgement.too_few == []


def test_one_failed_request_within_the_ratio_does_not_fail():
    assert judge_group(stats(200, failures=1), API).problems == []


def test_failure_ratio_over_the_threshold_fails_as_http_status_and_names_the_errors():
    judgement = judge_group(stats(200, failures=5), API)
    assert judgement.category is Category.HTTP_STATUS
    assert judgement.problems == ["failure ratio 2.5% over 1.0% (5 of 200 failed: 5x expected 200, got 502)"]


def test_slow_tail_fails_p95_and_p99_as_latency():
    judgement = judge_group(stats(200, slow=20, slow_ms=1200), API)
    assert judgement.category is Category.LATENCY
    assert judgement.problems == ["p95 1200 ms over 500 ms", "p99 1200 ms over 1000 ms"]


def test_too_few_requests_for_p99_says_so_instead_of_judging():
    judgement = judge_group(stats(50, slow=1, slow_ms=5000), API)
    assert judgement.problems == []
    assert judgement.too_few == ["p99 needs at least 100 requests, the judged window had 50"]


def test_a_group_too_small_for_its_percentiles_is_inconclusive_and_says_the_minimums():
    """The issue's case: 8 requests, one of them 1.7 s against a 1 s p99: neither passed nor failed."""
    record = group_record(judge_group(stats(8, slow=1, slow_ms=1700), API), "https://api.test", None)
    assert (record.verdict, record.category) == (Verdict.ERROR, Category.MONITOR)
    assert "p95 needs at least 20 requests, the judged window had 8" in record.message
    assert "p99 needs at least 100 requests" in record.message
    unset = LoadThreshold(p95_ms=500)  # a kind whose p99 the profile leaves unset needs only p95's minimum
    assert group_record(judge_group(stats(20), unset), "https://api.test", None).verdict is Verdict.PASS


def test_a_group_with_thresholds_and_no_requests_is_inconclusive_not_a_skip():
    record = group_record(judge_group(stats(0), API), "https://api.test", None)
    assert (record.verdict, record.category) == (Verdict.ERROR, Category.MONITOR)
    assert "no requests of this group in the judged window" in record.message


def test_too_few_requests_but_even_the_median_is_over_fails():
    judgement = judge_group(stats(4, ms=1200), API)
    assert judgement.problems[0] == "p95 at least 1200 ms (the median of only 4 requests) over 500 ms"


def test_minimum_throughput_is_judged_when_set():
    threshold = LoadThreshold(p95_ms=500, min_rps=50)
    assert judge_group(stats(200), threshold).problems == ["throughput 20.0 requests/s under the minimum 50"]


def test_a_stage_window_is_the_difference_of_two_snapshots():
    before, after = stats(100), stats(300, failures=4, slow=10)
    window = after.since(before, seconds=5)
    assert (window.requests, window.failures, window.rps) == (200, 4, 40.0)
    assert window.histogram == {10: 190, 900: 10} and window.errors == {"expected 200, got 502": 4}


def test_a_stage_names_its_first_breach_and_what_it_had_too_few_requests_to_judge():
    broke = judge_stage({"api:backend": stats(100, slow=10)}, LOAD_THRESHOLDS)
    assert (broke.breach, broke.measured) == ("api:backend: p95 900 ms over 500 ms", True)
    held = judge_stage({"api:backend": stats(100), "api:mcp": GroupStats("api", "mcp", 2, 0, {10: 2})}, LOAD_THRESHOLDS)
    assert (held.breach, held.judged_groups, held.measured) == (None, 1, True)
    assert held.too_few == [
        "api:mcp: p95 needs at least 20 requests, the judged window had 2",
        "api:mcp: p99 needs at least 100 requests, the judged window had 2",
    ]
    # p95 judged, p99 not yet: judged on what it could show, and the rest is named.
    partly = judge_stage({"api:backend": stats(50)}, LOAD_THRESHOLDS)
    assert partly.measured and partly.too_few == [
        "api:backend: p99 needs at least 100 requests, the judged window had 50"
    ]
    # Three quick answers say nothing about p95: the stage measured nothing, it did not hold.
    unjudged = judge_stage({"api:backend": stats(3)}, LOAD_THRESHOLDS)
    assert (unjudged.breach, unjudged.measured) == (None, False)
    assert not judge_stage({}, LOAD_THRESHOLDS).measured


@pytest.mark.parametrize(
    "allow_budget,spend,missing",
    [
        (False, False, "allow_budget = true in targets/production.toml and --spend-budget on the command line"),
        (True, False, "--spend-budget on the command line"),
        (False, True, "allow_budget = true in targets/production.toml"),
    ],
)
def test_a_sensitive_profile_needs_both_opt_ins_and_says_which_is_missing(allow_budget, spend, missing):
    profile = load_profile("production.example").model_copy(update={"allow_budget": allow_budget})
    refusal = budget_refusal(profile, spend, "targets/production.toml")
    assert refusal is not None and refusal.endswith(f"missing: {missing}")


def test_both_opt_ins_or_a_profile_that_is_not_sensitive_run():
    production = load_profile("production.example").model_copy(update={"allow_budget": True})
    assert budget_refusal(production, True, "targets/production.toml") is None
    assert budget_refusal(load_profile("sandbox"), False, "targets/sandbox.toml") is None


def test_chat_turns_keep_one_account_under_the_route_limit_across_processes():
    profile = load_profile("sandbox")  # 20 chat starts a minute, 80 % of it for the load
    assert chat_spacing_s(profile, 1) == pytest.approx(3.75)
    assert chat_spacing_s(profile, 2) == pytest.approx(7.5)
    assert chat_spacing_s(profile.model_copy(update={"rate_limits": []}), 1) is None


def test_records_carry_the_group_and_an_inconclusive_run_judges_nothing():
    judgement = judge_group(stats(200, slow=20, slow_ms=1200), API)
    failed = group_record(judgement, "https://api.example", None)
    assert (failed.id, failed.verdict, failed.category) == ("load:api:backend", Verdict.FAIL, Category.LATENCY)
    assert failed.message.startswith("backend load:api FAILED [latency]: https://api.example: p95 1200 ms over 500 ms")
    doubtful = group_record(judgement, "https://api.example", "inconclusive: the load generator was saturated")
    assert (doubtful.verdict, doubtful.category) == (Verdict.ERROR, Category.MONITOR)
    unmeasured = group_record(judge_group(GroupStats("chat", "frontend"), LOAD_THRESHOLDS["chat"]), "https://x", None)
    assert (unmeasured.verdict, unmeasured.category) == (Verdict.ERROR, Category.MONITOR)
    generator = generator_record(["the run made no requests"], {})
    assert (generator.id, generator.verdict) == ("load:generator", Verdict.ERROR)


def test_the_table_marks_percentiles_with_too_few_requests():
    lines = table([group_record(judge_group(stats(50), API), "https://api.example", None)])
    assert lines[0].split() == [
        "group",
        "requests",
        "p50",
        "ms",
        "p95",
        "ms",
        "p99",
        "ms",
        "failed",
        "threshold",
        "verdict",
    ]
    assert lines[1].split() == [
        "api:backend",
        "50",
        "10",
        "10",
        "(10)",
        "0.0%",
        "p95<=500",
        "p99<=1000",
        "fail<=1%",
        "ERROR",
    ]


def test_capacity_is_the_highest_stage_that_held_and_what_broke_first():
    broke = Stage(6, {"api:backend": stats(30, ms=1300)}, "api:backend: p95 1300 ms over 500 ms")
    report = CapacityReport(
        max_users=20, stages=[Stage(2, {"api:backend": stats(100)}), Stage(4, {"api:backend": stats(100)}), broke]
    )
    record = capacity_record(report, None)
    assert (record.id, record.verdict) == ("load:capacity", Verdict.PASS)
    assert record.details["capacity_users"] == 4
    assert "held 4 users at 10.0 requests/s; at 6 users api:backend: p95 1300 ms over 500 ms" in record.message
    first_broke = capacity_record(CapacityReport(max_users=20, stages=report.stages[2:]), None)
    assert (first_broke.verdict, first_broke.category) == (Verdict.FAIL, Category.LATENCY)


@pytest.mark.parametrize(
    "mode,users,run_time,max_users,max_duration,refused",
    [
        ("gate", None, None, None, None, None),
        (
            "gate",
            41,
            None,
            None,
            None,
            "41 users is over the bound of 40 (targets/sandbox.toml [load] max_users, or --max-users)",
        ),
        ("gate", 10, None, 5, None, "10 users is over the bound of 5"),
        ("step", None, 121, None, None, "121 s is over the bound of 120 s"),
        (
            "gate",
            None,
            None,
            50,
            None,
            "--max-users 50 is over the bound of 40 (targets/sandbox.toml [load] max_users)",
        ),
        ("capacity", 400, 999, None, None, None),  # the search stops at its bounds by itself
    ],
)
def test_every_run_is_bounded_and_the_command_line_only_lowers_the_bounds(
    mode, users, run_time, max_users, max_duration, refused
):
    refusal = bounds_refusal(
        load_profile("sandbox"), mode, users, run_time, max_users, max_duration, "targets/sandbox.toml"
    )
    if refused is None:
        assert refusal is None
    else:
        assert refusal is not None and refusal.startswith(refused), refusal


class FakeRun:
    """Closed-loop users, one second at a time: each second adds ``answered(users, second)`` requests
    (100 unless told) at the latency the current number of users meets; ``snapshot`` is what
    Locust's statistics would say so far."""

    def __init__(self, latency_by_users, answered=lambda users, second: 100):
        self.latency_by_users, self.answered = latency_by_users, answered
        self.users, self.t, self.total = 0, 0, GroupStats("api", "backend")

    def second(self, users: int) -> None:
        self.users = users
        count = self.answered(users, self.t)
        self.total.add(count, 0, {self.latency_by_users(users): count} if count else {})
        self.t += 1

    def snapshot(self) -> dict[str, GroupStats]:
        t = self.total
        return {"api:backend": GroupStats(t.kind, t.service, t.requests, t.failures, dict(t.histogram))}

    def drive(self, schedule) -> list[int | None]:
        users, t = [], 0.0
        while (answer := schedule.tick(t)) is not None:
            users.append(answer[0])
            self.second(answer[0])
            t += 1
        return users


def test_step_ramp_climbs_holds_and_judges_only_the_settled_window():
    run = FakeRun(lambda users: 10)
    ramp = StepRamp(users=6, step_users=2, step_s=5, run_time_s=30, spawn_rate=2, settle_s=2, snapshot=run.snapshot)
    users = run.drive(ramp)
    assert users == [2] * 5 + [4] * 5 + [6] * 20 and ramp.finished
    window = ramp.judged()["api:backend"]
    # opened at 3 s (1 s to start 2 users, 2 s to settle): seconds 3..29 are judged
    assert (window.seconds, window.requests) == (27, 100 * 27)


def capacity_search(run: FakeRun, **bounds: float) -> CapacitySearch:
    """A search over ``run`` with 10 users started a second, 10-s stages (these unless told)."""
    given: dict = {
        "start": 4,
        "step": 4,
        "stage_s": 10,
        "settle_s": 2,
        "max_users": 40,
        "max_duration_s": 600,
        "spawn_rate": 10,
        **bounds,
    }
    return CapacitySearch(**given, thresholds=LOAD_THRESHOLDS, snapshot=run.snapshot)


def test_capacity_search_stops_at_the_first_stage_that_breaks():
    run = FakeRun(lambda users: 50 if users <= 8 else 900)
    search = capacity_search(run)
    run.drive(search)
    assert [(s.users, s.breach) for s in search.report.stages] == [
        (4, None),
        (8, None),
        (12, "api:backend: p95 900 ms over 500 ms"),
    ]
    held = search.report.held
    assert held is not None and (held.users, held.rps) == (8, 100)


def test_capacity_search_stops_at_its_bounds():
    run = FakeRun(lambda users: 20)
    search = capacity_search(run, start=5, step=5, settle_s=1, max_users=15)
    assert len(run.drive(search)) == 30
    assert [s.users for s in search.report.stages] == [5, 10, 15]
    assert search.report.stopped_by == "reached the bound of 15 users"
    short_run = FakeRun(lambda users: 20)
    short = capacity_search(short_run, start=5, step=5, settle_s=1, max_users=100, max_duration_s=25)
    assert len(short_run.drive(short)) <= 25
    assert short.report.stopped_by == "another stage would pass the bound of 25 s"


def stalled_search(run: FakeRun) -> CapacitySearch:
    return capacity_search(run, start=2, step=2, stage_s=4, settle_s=1, max_users=20)


def test_a_stage_that_answered_nothing_runs_on_until_it_can_be_judged():
    # At 4 users nothing comes back for six seconds (a stall), then slow answers: the stage is not
    # "held" on an empty window; it runs on with the same users and breaks on what came back.
    run = FakeRun(
        lambda users: 50 if users <= 2 else 900, answered=lambda users, t: 0 if users == 4 and t < 10 else 100
    )
    search = stalled_search(run)
    users = run.drive(search)
    assert users == [2] * 4 + [4] * 8
    assert [(s.users, s.breach) for s in search.report.stages] == [
        (2, None),
        (4, "api:backend: p95 900 ms over 500 ms"),
    ]
    record = capacity_record(search.report, None)
    assert record.verdict == Verdict.PASS and "held 2 users" in record.message and "at 4 users" in record.message


def test_a_stage_that_never_answers_enough_ends_the_search_and_says_so():
    run = FakeRun(lambda users: 50, answered=lambda users, t: 0 if users == 4 else 100)
    search = stalled_search(run)
    users = run.drive(search)
    assert users == [2] * 4 + [4] * 12, "stretched to three times the stage, no further"
    assert [(s.users, s.held, s.breach) for s in search.report.stages] == [(2, True, None), (4, False, None)]
    assert search.report.stopped_by == "the stage at 4 users could not be judged after 12 s (no request completed)"
    record = capacity_record(search.report, None)
    assert record.details["capacity_users"] == 2 and record.details["stages"][1]["judged"] is False
    # What held before is said, but a search that could not finish does not pass.
    assert (record.verdict, record.category) == (Verdict.ERROR, Category.MONITOR)
    assert (
        "the capacity search could not finish: the stage at 4 users could not be judged after 12 s "
        "(no request completed); the last stage that held: held 2 users at" in record.message
    ), record.message
    assert stage_table(search.report)[-1].endswith("NOT JUDGED: ")


def test_a_first_stage_too_small_to_judge_is_no_verdict_on_the_target():
    run = FakeRun(lambda users: 10, answered=lambda users, t: 1)  # one answer a second: never 20 for p95
    search = stalled_search(run)
    run.drive(search)
    assert [s.held for s in search.report.stages] == [False]
    record = capacity_record(search.report, None)
    assert (record.verdict, record.category) == (Verdict.ERROR, Category.MONITOR)
    assert "the capacity search could not finish: the stage at 2 users could not be judged" in record.message
    assert "no stage held before it" in record.message
    assert "p95 needs at least 20 requests, the judged window had 10" in record.message, record.message
    assert "NOT JUDGED: api:backend: p95 needs at least 20 requests" in stage_table(search.report)[-1]
