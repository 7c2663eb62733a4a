"""Is the service fast enough? Decided on the median of a small sample, never one request, and
only on healthy answers: a quick 503 is an error, not a fast service."""

from __future__ import annotations

import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from monitor.results import Category


@dataclass(frozen=True)
class Sample:
    status: int
    ms: float


@dataclass(frozen=True)
class LatencyVerdict:
    category: Category | None  # None: fast enough; HTTP_STATUS: some samples were errors; LATENCY: slow
    median_ms: float
    threshold_ms: float
    samples: tuple[Sample, ...]
    healthy_status: tuple[int, ...]

    @property
    def ok(self) -> bool:
        return self.category is None

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.status not in self.healthy_status]

    def describe(self) -> str:
        timings = f"(samples: {', '.join(f'{s.ms:.0f}' for s in self.samples)} ms)"
        if self.category is Category.HTTP_STATUS:
            expected = " or ".join(str(s) for s in self.healthy_status)
            got = ", ".join(str(s.status) for s in self.errors)
            return (
                f"expected every sample to answer {expected}, {len(self.errors)} of {len(self.samples)} "
                f"answered an error ({got}): latency is judged only on healthy answers {timings}"
            )
        relation = "<" if self.ok else ">="
        return f"median {self.median_ms:.0f} ms {relation} threshold {self.threshold_ms:.0f} ms {timings}"


def judge_latency(samples: Sequence[Sample], threshold_ms: float, healthy_status: Collection[int]) -> LatencyVerdict:
    if not samples:
        raise ValueError("judge_latency needs at least one sample")
    median = statistics.median(s.ms for s in samples)
    healthy = tuple(healthy_status)
    if any(s.status not in healthy for s in samples):
        category: Category | None = Category.HTTP_STATUS
    else:
        category = None if median < threshold_ms else Category.LATENCY
    return LatencyVerdict(category, median, threshold_ms, tuple(samples), healthy)
