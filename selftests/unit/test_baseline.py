"""The gate's baseline judgement (monitor.analysers.baseline): no baseline, few samples, a noisy
baseline, a real regression, and the ratio-AND-floor rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.analysers.baseline import BaselineRun, judge_baseline, p95
from monitor.profile import GatePolicy
from monitor.results import Category, Verdict

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
POLICY = GatePolicy()  # 7 days, >= 5 runs and 20 samples, 1.5x and +50 ms (p50), 1.5x and +100 ms (p95)


def runs(*medians: float, per_run: int = 5, spread: float = 4.0, days_ago: float = 1.0) -> list[BaselineRun]:
    """One run per median, each with ``per_run`` samples evenly around it."""
    made = []
    for n, median in enumerate(medians):
        samples = tuple(median + spread * (i - per_run // 2) / max(1, per_run // 2) for i in range(per_run))
        made.append(BaselineRun(f"r{n}", NOW - timedelta(days=days_ago, minutes=n), samples))
    return made


def judge(current, history, policy=POLICY):
    return judge_baseline("latency:backend", "production", current, history, policy, NOW)


def test_no_history_is_said_never_passed_silently():
    verdict = judge([120.0] * 20, [])
    assert verdict.verdict is Verdict.SKIP
    assert verdict.message.startswith(
        "no baseline yet: latency:backend on production, 0 passing run(s) over the last "
        "7 days (0 samples); at least 5 runs and 20 samples are needed"
    )
    assert "NOT compared" in verdict.message


def test_too_few_runs_or_runs_outside_the_window_are_no_baseline():
    assert judge([100.0] * 20, runs(100, 100, 100, 100)).verdict is Verdict.SKIP  # 4 runs, 5 needed
    old = runs(100, 100, 100, 100, 100, days_ago=8)  # a week and a day ago: outside the 7-day window
    verdict = judge([100.0] * 20, old)
    assert verdict.verdict is Verdict.SKIP and "0 passing run(s)" in verdict.message
    few_samples = [BaselineRun(f"r{n}", NOW - timedelta(hours=n + 1), (100.0,)) for n in range(6)]
    assert judge([100.0] * 20, few_samples).verdict is Verdict.SKIP  # 6 samples, 20 needed


def test_as_fast_as_before_passes_and_names_the_baseline():
    verdict = judge([42.0] * 10 + [48.0] * 10, runs(40, 41, 39, 40, 42, 40))
    assert verdict.verdict is Verdict.PASS, verdict.message
    assert verdict.message.startswith("as fast as before: p50 45 ms (baseline 40 ms), p95 48 ms")
    assert (
        "baseline: latency:backend on production, 6 passing run(s) over the last 7 days (30 samples)" in verdict.message
    )
    assert verdict.figures["baseline_runs"] == 6 and verdict.figures["samples"] == 20


def test_a_real_regression_fails_with_the_figures_and_the_baseline():
    verdict = judge([400.0] * 20, runs(120, 125, 118, 130, 122, 121))
    assert verdict.verdict is Verdict.FAIL and verdict.category is Category.LATENCY
    assert verdict.message.startswith(
        "slower than before this deploy: p50 400 ms is 3.3x the baseline's 122 ms "
        "(+278 ms; allowed 1.5x and +50 ms); p95 400 ms is 3.1x the baseline's 131 ms"
    )
    assert (
        "baseline: latency:backend on production, 6 passing run(s) over the last 7 days (30 samples)" in verdict.message
    )


def test_a_regression_warns_when_the_profile_says_so():
    verdict = judge([400.0] * 20, runs(120, 125, 118, 130, 122, 121), GatePolicy(regression="warn"))
    assert verdict.verdict is Verdict.WARN and verdict.category is Category.LATENCY


@pytest.mark.parametrize(
    "current,why",
    [
        ([9.0] * 20, "3x the baseline but only +6 ms: under the floor"),
        ([340.0] * 20, "+40 ms on a 300 ms baseline: under the ratio"),
    ],
)
def test_a_regression_needs_the_ratio_and_the_floor(current, why):
    baseline = runs(3, 3, 3, 3, 3, spread=0) if current[0] < 100 else runs(300, 300, 300, 300, 300, spread=0)
    assert judge(current, baseline).verdict is Verdict.PASS, why


def test_few_samples_judge_the_median_only_and_say_so():
    baseline = runs(100, 100, 100, 100, 100, 100, spread=0)
    calm = judge([101.0, 99.0, 100.0], baseline)
    assert calm.verdict is Verdict.PASS and "p95 not judged: 3 samples, 20 needed" in calm.message
    assert "p95_ms" not in calm.figures
    slow = judge([300.0, 310.0, 290.0], baseline)
    assert slow.verdict is Verdict.FAIL and "p50 300 ms" in slow.message and "p95 300" not in slow.message
    assert "p95 not judged: 3 samples, 20 needed" in slow.message


def test_a_noisy_baseline_lets_a_deploy_inside_its_own_spread_pass_and_says_why():
    noisy = runs(40, 45, 250, 42, 300, 38, 44)  # cold starts now and then: medians 38-300 ms
    inside = judge([260.0] * 20, noisy)
    assert inside.verdict is Verdict.PASS, inside.message
    assert "the baseline is noisy (its runs' medians range 38 ms-300 ms)" in inside.message
    beyond = judge([900.0] * 20, noisy)
    assert beyond.verdict is Verdict.FAIL and "noisy" in beyond.message


def test_p95_interpolates_and_needs_samples():
    assert p95([float(n) for n in range(1, 101)]) == pytest.approx(95.05)
    assert p95([7.0]) == 7.0
    with pytest.raises(ValueError):
        judge([], runs(1, 1, 1, 1, 1))
