"""Is the service fast enough? Decided on the median of a small sample, never one request."""
from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class LatencyVerdict:
    ok: bool
    median_ms: float
    threshold_ms: float
    samples_ms: tuple[float, ...]

    def describe(self) -> str:
        samples = ", ".join(f"{s:.0f}" for s in self.samples_ms)
        relation = "<" if self.ok else ">="
        return (
            f"median {self.median_ms:.0f} ms {relation} threshold {self.threshold_ms:.0f} ms "
            f"(samples: {samples} ms)"
        )


def judge_latency(samples_ms: list[float], threshold_ms: float) -> LatencyVerdict:
    if not samples_ms:
        raise ValueError("judge_latency needs at least one sample")
    median = statistics.median(samples_ms)
    return LatencyVerdict(median < threshold_ms, median, threshold_ms, tuple(samples_ms))
