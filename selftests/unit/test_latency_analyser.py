"""The latency judge: the median of a few samples decides, and an error is never fast enough."""

import pytest

from monitor.analysers.latency import Sample, judge_latency
from monitor.results import Category


def ok(*ms: float) -> list[Sample]:
    return [Sample(200, m) for m in ms]


def test_median_decides_not_one_outlier():
    verdict = judge_latency(ok(100, 2500, 120), threshold_ms=500, healthy_status=[200])
    assert verdict.ok and verdict.median_ms == 120


def test_median_at_threshold_fails_and_message_lists_samples():
    verdict = judge_latency(ok(500, 500, 900), threshold_ms=500, healthy_status=[200])
    assert verdict.category is Category.LATENCY
    assert verdict.describe() == "median 500 ms >= threshold 500 ms (samples: 500, 500, 900 ms)"


def test_quick_errors_are_not_fast_enough():
    verdict = judge_latency([Sample(503, 5), Sample(503, 4), Sample(503, 6)], threshold_ms=1000, healthy_status=[200])
    assert not verdict.ok and verdict.category is Category.HTTP_STATUS
    assert verdict.describe() == (
        "expected every sample to answer 200, 3 of 3 answered an error (503, 503, 503): "
        "latency is judged only on healthy answers (samples: 5, 4, 6 ms)"
    )


def test_one_error_among_fast_samples_still_fails_on_status():
    verdict = judge_latency(
        [Sample(200, 40), Sample(502, 3), Sample(200, 45)], threshold_ms=500, healthy_status=[200, 204]
    )
    assert verdict.category is Category.HTTP_STATUS
    assert "expected every sample to answer 200 or 204, 1 of 3 answered an error (502)" in verdict.describe()


def test_a_healthy_status_other_than_200_is_judged_on_time():
    assert judge_latency([Sample(204, 10)] * 3, threshold_ms=500, healthy_status=[204]).ok


def test_no_samples_is_a_programming_error():
    with pytest.raises(ValueError):
        judge_latency([], 500, [200])
