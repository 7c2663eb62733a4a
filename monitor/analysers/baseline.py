"""Is the new deployment as fast as the last ones? The post-deploy gate compares a check's
p50/p95 with the same check's passing history on the same target (its *baseline*): a
regression is a figure over the baseline's by both a ratio AND a floor (1.5x and +100 ms by
default: 2 ms to 4 ms is not a regression, 300 ms to 330 ms is not one either), and over what
the baseline's own runs showed (a noisy baseline does not make every normal deploy look slow).

No network, no history access: the caller hands in the runs. Without enough history there is
no baseline, and the verdict says so (never a silent pass)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.profile import GatePolicy
from monitor.results import Category, Verdict

P95_MIN_SAMPLES = 20  # fewer: a 95th percentile is one of the few slowest samples, not a figure


@dataclass(frozen=True)
class BaselineRun:
    """One passing run of the check: when it ran and its latency samples."""

    run_id: str
    started: datetime
    samples_ms: tuple[float, ...]


@dataclass(frozen=True)
class BaselineVerdict:
    verdict: Verdict  # PASS, or the policy's FAIL/WARN on a regression, or SKIP without a baseline
    category: Category | None
    message: str
    figures: dict[str, float | int | str | None]


def p95(samples: Sequence[float]) -> float:
    """The 95th percentile, interpolated (``statistics.quantiles``' inclusive method)."""
    if len(samples) == 1:
        return float(samples[0])
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def _ms(value: float) -> str:
    return f"{value:.0f} ms"


def judge_baseline(
    check_id: str,
    target: str,
    current_ms: Sequence[float],
    history: Sequence[BaselineRun],
    policy: GatePolicy,
    now: datetime,
) -> BaselineVerdict:
    """Judge ``current_ms`` (this deployment's samples) against the passing ``history`` runs of
    ``check_id`` on ``target`` from the last ``policy.baseline_days`` before ``now``."""
    if not current_ms:
        raise ValueError("judge_baseline needs this deployment's samples")
    since = now - timedelta(days=policy.baseline_days)
    runs = [r for r in history if since <= r.started <= now and r.samples_ms]
    pooled = [ms for r in runs for ms in r.samples_ms]
    window = f"the last {policy.baseline_days:g} days"
    named = f"{check_id} on {target}, {len(runs)} passing run(s) over {window} ({len(pooled)} samples)"
    figures: dict[str, float | int | str | None] = {
        "baseline_runs": len(runs),
        "baseline_samples": len(pooled),
        "baseline_days": policy.baseline_days,
        "samples": len(current_ms),
    }
    if len(runs) < policy.baseline_min_runs or len(pooled) < policy.baseline_min_samples:
        return BaselineVerdict(
            Verdict.SKIP,
            None,
            (
                f"no baseline yet: {named}; at least {policy.baseline_min_runs} runs and {policy.baseline_min_samples} "
                "samples are needed, so this deployment's latency was NOT compared with earlier ones (only with its "
                "threshold)"
            ),
            figures,
        )

    now_p50, base_p50 = statistics.median(current_ms), statistics.median(pooled)
    base_p95 = p95(pooled)
    # What the baseline's own runs showed: a run-to-run spread wider than the ratio and floor
    # is the normal state of this check, not a regression.
    run_p50s = sorted(statistics.median(r.samples_ms) for r in runs)
    run_p95s = sorted(p95(r.samples_ms) for r in runs)
    allowed_p50 = max(base_p50 * policy.p50_ratio, base_p50 + policy.p50_floor_ms, run_p50s[-1])
    allowed_p95 = max(base_p95 * policy.p95_ratio, base_p95 + policy.p95_floor_ms, run_p95s[-1])
    noisy = run_p50s[-1] > base_p50 * policy.p50_ratio and run_p50s[-1] > base_p50 + policy.p50_floor_ms
    figures.update(
        p50_ms=round(now_p50, 1),
        baseline_p50_ms=round(base_p50, 1),
        allowed_p50_ms=round(allowed_p50, 1),
        baseline_p95_ms=round(base_p95, 1),
        allowed_p95_ms=round(allowed_p95, 1),
        noisy=noisy,
    )

    problems: list[str] = []
    if now_p50 > allowed_p50:
        problems.append(
            f"p50 {_ms(now_p50)} is {now_p50 / base_p50:.1f}x the baseline's {_ms(base_p50)} "
            f"(+{_ms(now_p50 - base_p50)}; allowed {policy.p50_ratio:g}x and +{policy.p50_floor_ms:g} ms)"
        )
    now_p95 = p95(current_ms) if len(current_ms) >= P95_MIN_SAMPLES else None
    if now_p95 is not None:
        figures["p95_ms"] = round(now_p95, 1)
        if now_p95 > allowed_p95:
            problems.append(
                f"p95 {_ms(now_p95)} is {now_p95 / base_p95:.1f}x the baseline's {_ms(base_p95)} "
                f"(+{_ms(now_p95 - base_p95)}; allowed {policy.p95_ratio:g}x and +{policy.p95_floor_ms:g} ms)"
            )
    spread = (
        (
            f"; the baseline is noisy (its runs' medians range {_ms(run_p50s[0])}-{_ms(run_p50s[-1])}), so only "
            f"a median over {_ms(allowed_p50)} counts"
        )
        if noisy
        else ""
    )
    p95_note = "" if now_p95 is not None else f"; p95 not judged: {len(current_ms)} samples, {P95_MIN_SAMPLES} needed"
    baseline = f"baseline: {named}{spread}{p95_note}"
    if problems:
        verdict = Verdict.FAIL if policy.regression == "fail" else Verdict.WARN
        return BaselineVerdict(
            verdict, Category.LATENCY, f"slower than before this deploy: {'; '.join(problems)}; {baseline}", figures
        )
    shown = f"p50 {_ms(now_p50)} (baseline {_ms(base_p50)})"
    if now_p95 is not None:
        shown += f", p95 {_ms(now_p95)} (baseline {_ms(base_p95)})"
    return BaselineVerdict(Verdict.PASS, None, f"as fast as before: {shown}; {baseline}", figures)
