"""Judging a load run from plain numbers: percentiles from response-time histograms, each request
group against its threshold, a capacity-search stage, the safety gate. No Locust, no network.

A request group is a kind of traffic (``pages``, ``api``, ``chat``: the kinds the operations guide
sets thresholds for) on one service: ``api:backend``. Locust request names carry their group as
the first word (``api:backend /health/healthz``), so its own CSV and HTML report show it too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from monitor.profile import LOAD_THRESHOLDS, LoadThreshold, Profile
from monitor.results import Category

# A percentile means something once at least one request lies beyond it: 20 for p95, 100 for p99.
# A group with fewer for a percentile its threshold sets cannot be judged on it: inconclusive.
MIN_REQUESTS = {95: 20, 99: 100}
MEDIAN_FLOOR = 3  # fewer requests than this say nothing, not even through their median


def group_of(request_name: str) -> tuple[str, str] | None:
    """``"api:backend /health/healthz"`` -> ``("api", "backend")``; None for anything else."""
    kind, _, service = request_name.split(" ", 1)[0].partition(":")
    return (kind, service) if kind in LOAD_THRESHOLDS and service else None


def percentile(histogram: dict[int, int], q: float) -> float | None:
    """Nearest-rank percentile (0 < q <= 1) of a ``{response time ms: count}`` histogram."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank, seen = math.ceil(q * total), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return float(value)
    return float(max(histogram))


@dataclass
class GroupStats:
    kind: str
    service: str
    requests: int = 0
    failures: int = 0
    histogram: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0  # the window these requests were made in
    errors: dict[str, int] = field(default_factory=dict)  # what failed, and how often

    @property
    def group(self) -> str:
        return f"{self.kind}:{self.service}"

    def add(self, requests: int, failures: int, histogram: dict[int, int]) -> None:
        self.requests += requests
        self.failures += failures
        for value, count in histogram.items():
            self.histogram[value] = self.histogram.get(value, 0) + count

    def since(self, earlier: GroupStats, seconds: float) -> GroupStats:
        """What happened after ``earlier`` was taken (a capacity stage's judged window)."""
        histogram = {v: c - earlier.histogram.get(v, 0) for v, c in self.histogram.items()}
        errors = {e: n - earlier.errors.get(e, 0) for e, n in self.errors.items()}
        return GroupStats(
            self.kind,
            self.service,
            self.requests - earlier.requests,
            self.failures - earlier.failures,
            {v: c for v, c in histogram.items() if c > 0},
            seconds,
            {e: n for e, n in errors.items() if n > 0},
        )

    def p(self, q: int) -> float | None:
        return percentile(self.histogram, q / 100)

    @property
    def failure_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass
class GroupJudgement:
    stats: GroupStats
    threshold: LoadThreshold
    problems: list[str] = field(default_factory=list)
    category: Category | None = None
    too_few: list[str] = field(default_factory=list)  # percentiles the threshold sets that these requests cannot show

    def add(self, category: Category, problem: str) -> None:
        self.category = self.category or category
        self.problems.append(problem)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def judge_group(stats: GroupStats, threshold: LoadThreshold) -> GroupJudgement:
    """Errors first (they decide the category), then each percentile that has enough requests to
    mean something (one that has not is ``too_few``, unless even the median breaks it), then
    throughput. A single failure within the ratio is not a problem."""
    judgement = GroupJudgement(stats, threshold)
    if stats.failure_ratio > threshold.max_failure_ratio:
        top = "; ".join(f"{n}x {error}" for error, n in sorted(stats.errors.items(), key=lambda e: -e[1])[:3])
        judgement.add(
            Category.HTTP_STATUS,
            f"failure ratio {stats.failure_ratio:.1%} over {threshold.max_failure_ratio:.1%} "
            f"({stats.failures} of {stats.requests} failed{': ' + top if top else ''})",
        )
    for q, limit in ((95, threshold.p95_ms), (99, threshold.p99_ms)):
        if limit is None:
            continue
        if stats.requests < MIN_REQUESTS[q]:
            median = stats.p(50)
            if stats.requests >= MEDIAN_FLOOR and median is not None and median > limit:
                # Too few for the tail, but every percentile above the median is at least the median.
                judgement.add(
                    Category.LATENCY,
                    f"p{q} at least {_ms(median)} (the median of only {stats.requests} requests) over {_ms(limit)}",
                )
            else:
                judgement.too_few.append(
                    f"p{q} needs at least {MIN_REQUESTS[q]} requests, the judged window had {stats.requests}"
                )
            continue
        measured = stats.p(q)
        if measured is not None and measured > limit:
            judgement.add(Category.LATENCY, f"p{q} {_ms(measured)} over {_ms(limit)}")
    if threshold.min_rps is not None and stats.rps < threshold.min_rps:
        judgement.add(
            Category.LATENCY, f"throughput {stats.rps:.1f} requests/s under the minimum {threshold.min_rps:g}"
        )
    return judgement


@dataclass(frozen=True)
class StageJudgement:
    """A capacity stage's window against the thresholds: the first threshold that broke (worst
    group first), and what its requests were too few to show. A stage where no group could be
    judged measured nothing: it neither held nor broke."""

    breach: str | None
    too_few: list[str]  # "group: p95 needs at least 20 requests, the judged window had 3"
    judged_groups: int  # groups judged on at least one percentile their threshold sets

    @property
    def measured(self) -> bool:
        return self.breach is not None or self.judged_groups > 0


def judge_stage(stats: dict[str, GroupStats], thresholds: dict[str, LoadThreshold]) -> StageJudgement:
    """Judge each group that completed requests in the stage's window."""
    breaches: list[str] = []
    too_few: list[str] = []
    judged = 0
    for group in sorted(stats):
        threshold = thresholds[stats[group].kind]
        judgement = judge_group(stats[group], threshold)
        breaches += [f"{group}: {problem}" for problem in judgement.problems]
        too_few += [f"{group}: {reason}" for reason in judgement.too_few]
        percentiles = sum(limit is not None for limit in (threshold.p95_ms, threshold.p99_ms))
        judged += len(judgement.too_few) < percentiles
    return StageJudgement(breaches[0] if breaches else None, too_few, judged)


def threshold_text(threshold: LoadThreshold) -> str:
    parts = [f"p95<={threshold.p95_ms:g}"]
    if threshold.p99_ms is not None:
        parts.append(f"p99<={threshold.p99_ms:g}")
    parts.append(f"fail<={threshold.max_failure_ratio:.0%}")
    if threshold.min_rps is not None:
        parts.append(f">={threshold.min_rps:g}/s")
    return " ".join(parts)


def budget_refusal(profile: Profile, spend_budget: bool, where: str) -> str | None:
    """Load spends the target's budget: on a sensitive profile it needs the profile's consent
    *and* the command's. The message names each one that is missing."""
    if not profile.sensitive:
        return None
    missing = []
    if not profile.allow_budget:
        missing.append(f"allow_budget = true in {where}")
    if not spend_budget:
        missing.append("--spend-budget on the command line")
    if not missing:
        return None
    return (
        f"refused: target {profile.name} is sensitive and a load test spends its rate-limit and capacity budget; "
        f"missing: {' and '.join(missing)}"
    )


def bounds_refusal(
    profile: Profile,
    mode: str,
    users: int | None,
    run_time_s: float | None,
    max_users: int | None,
    max_duration_s: float | None,
    where: str,
) -> str | None:
    """Every run is bounded: the command line may lower the profile's bounds, never pass them."""
    policy = profile.load
    if max_users is not None and max_users > policy.max_users:
        return f"--max-users {max_users} is over the bound of {policy.max_users} ({where} [load] max_users)"
    if max_duration_s is not None and max_duration_s > policy.max_duration_s:
        return (
            f"--max-duration {max_duration_s:g} is over the bound of {policy.max_duration_s:g} s "
            f"({where} [load] max_duration_s)"
        )
    if mode == "capacity":  # the search has its own bounds: it stops at them
        return None
    bound_users, bound_s = max_users or policy.max_users, max_duration_s or policy.max_duration_s
    if (users or policy.users) > bound_users:
        return (
            f"{users or policy.users} users is over the bound of {bound_users} "
            f"({where} [load] max_users, or --max-users)"
        )
    if (run_time_s or policy.run_time_s) > bound_s:
        return (
            f"{run_time_s or policy.run_time_s:g} s is over the bound of {bound_s:g} s ({where} [load] max_duration_s, "
            "or --max-duration)"
        )
    return None


def chat_spacing_s(profile: Profile, processes: int) -> float | None:
    """Seconds between chat messages in one generator process, so that all chat users together,
    on one account, stay under the chat route's per-user limit (times the profile's margin).
    None when the profile states no limit for that route."""
    rule = next((r for r in profile.rate_limits if r.path == profile.journeys.chat_stream_path), None)
    if rule is None:
        return None
    return rule.window_s / (rule.limit * profile.load.chat_margin) * processes
