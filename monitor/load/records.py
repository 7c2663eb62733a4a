"""A load run's verdicts as :class:`CheckResult` records and as the table a person reads.

One record per request group (check ``load:<kind>``, the group's service), one per capacity
search (``load:capacity``), and one for the run itself when the generator cannot vouch for its
measures (``load:generator``: saturated CPU, missing workers, a scenario that broke its own rules,
no requests at all). An inconclusive run turns every group's verdict into ``error`` [monitor]:
numbers measured by a starved generator judge the generator, not the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.analysers.load import MIN_REQUESTS, GroupJudgement, GroupStats, threshold_text
from monitor.checks.envelope import message
from monitor.results import Category, CheckResult, Verdict


@dataclass
class Stage:
    users: int
    stats: dict[str, GroupStats]
    breach: str | None = None
    too_few: list[str] = field(default_factory=list)  # groups too small to judge on a percentile
    measured: bool = True  # False: no group had requests enough to judge, so it neither held nor broke

    @property
    def held(self) -> bool:
        return self.breach is None and self.measured

    @property
    def rps(self) -> float:
        return sum(s.rps for s in self.stats.values())


@dataclass
class CapacityReport:
    max_users: int
    stages: list[Stage] = field(default_factory=list)
    stopped_by: str = ""  # why the search ended without a breach: a bound, or a stage it could not judge

    @property
    def held(self) -> Stage | None:
        held = [s for s in self.stages if s.held]
        return held[-1] if held else None

    @property
    def broke(self) -> Stage | None:
        return next((s for s in self.stages if s.breach is not None), None)


def _details(stats: GroupStats) -> dict:
    return {
        "requests": stats.requests,
        "failures": stats.failures,
        "failure_ratio": round(stats.failure_ratio, 5),
        "p50_ms": stats.p(50),
        "p95_ms": stats.p(95),
        "p99_ms": stats.p(99),
        "rps": round(stats.rps, 2),
        "errors": stats.errors,
    }


def group_record(judgement: GroupJudgement, url: str, inconclusive: str | None) -> CheckResult:
    stats = judgement.stats
    check = f"load:{stats.kind}"
    measured = (
        f"{stats.requests} requests, p50 {stats.p(50) or 0:.0f} ms, p95 {stats.p(95) or 0:.0f} ms, "
        f"p99 {stats.p(99) or 0:.0f} ms, {stats.failure_ratio:.1%} failed, {stats.rps:.1f}/s"
    )
    details = {**_details(stats), "threshold": threshold_text(judgement.threshold), "too_few": judgement.too_few}
    category: Category | None
    if inconclusive:
        verdict, category, text = Verdict.ERROR, Category.MONITOR, f"{inconclusive}; measured {measured}"
    elif stats.requests == 0:
        verdict, category = Verdict.ERROR, Category.MONITOR
        text = (
            f"no requests of this group in the judged window, so its threshold "
            f"({threshold_text(judgement.threshold)}) was not judged: run longer or with more users"
        )
    elif judgement.too_few and not judgement.problems:
        verdict, category = Verdict.ERROR, Category.MONITOR
        unset_p99 = (
            ", or leave p99_ms unset for this kind" if any(t.startswith("p99") for t in judgement.too_few) else ""
        )
        text = (
            f"too few requests to judge {threshold_text(judgement.threshold)}: {'; '.join(judgement.too_few)} "
            f"(run longer or with more users{unset_p99}; {measured})"
        )
    elif judgement.problems:
        details["problems"] = judgement.problems
        verdict, category = Verdict.FAIL, judgement.category
        text = f"{'; '.join(judgement.problems)} (threshold {threshold_text(judgement.threshold)}; {measured})"
    else:
        verdict, category = Verdict.PASS, None
        text = f"held {threshold_text(judgement.threshold)}: {measured}"
    said = message(check, stats.service, verdict, category, url, text)
    return CheckResult(
        check=check, service=stats.service, verdict=verdict, category=category, url=url, message=said, details=details
    )


def generator_record(reasons: list[str], details: dict) -> CheckResult:
    text = "; ".join(reasons) + ": the measures describe the load generator, not the target"
    return CheckResult(
        check="load",
        service="generator",
        verdict=Verdict.ERROR,
        category=Category.MONITOR,
        message=message("load", "generator", Verdict.ERROR, Category.MONITOR, "", text),
        details=details,
    )


def capacity_record(report: CapacityReport, inconclusive: str | None) -> CheckResult:
    held, broke = report.held, report.broke
    stages = [
        {
            "users": s.users,
            "rps": round(s.rps, 2),
            "breach": s.breach,
            "judged": s.measured,
            "too_few": s.too_few,
            "groups": {g: _details(st) for g, st in s.stats.items()},
        }
        for s in report.stages
    ]
    details = {
        "stages": stages,
        "capacity_users": held.users if held else 0,
        "capacity_rps": round(held.rps, 2) if held else 0.0,
        "first_breach": broke.breach if broke else None,
    }
    figure = f"held {held.users} users at {held.rps:.1f} requests/s" if held else ""
    found = ""
    if held:
        found = (
            f"{figure}; at {broke.users} users {broke.breach}"
            if broke
            else f"{figure} and {report.stopped_by}: capacity is at least this"
        )
    # A search that ended on a stage it could not judge has not found the capacity: it says what
    # held before, but does not pass (a stall of the generator or the target is no finding).
    unfinished = not report.stages or not report.stages[-1].measured
    if inconclusive:
        verdict, category = Verdict.ERROR, Category.MONITOR
        text = inconclusive + (f"; measured: {found}" if held else "")
    elif unfinished:
        verdict, category = Verdict.ERROR, Category.MONITOR
        text = f"the capacity search could not finish: {report.stopped_by or 'no stage ended'}"
        text += f"; the last stage that held: {figure}" if held else "; no stage held before it"
    elif held is None and broke is not None:
        verdict = Verdict.FAIL
        category = Category.HTTP_STATUS if "failure ratio" in (broke.breach or "") else Category.LATENCY
        text = f"not even the first stage held: at {broke.users} users {broke.breach}"
    else:
        verdict, category, text = Verdict.PASS, None, found
    return CheckResult(
        check="load",
        service="capacity",
        verdict=verdict,
        category=category,
        message=message("load", "capacity", verdict, category, "", text),
        details=details,
    )


def _row(cells: list[str], widths: list[int]) -> str:
    numbers = range(1, len(cells) - 2)  # counts and times right-aligned; names, threshold, verdict left
    aligned = (c.rjust(w) if i in numbers else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
    return "  ".join(aligned).rstrip()


def table(records: list[CheckResult]) -> list[str]:
    """group, requests, p50/p95/p99, failure ratio, threshold, verdict; percentiles with too few
    requests to mean anything are shown in brackets."""
    head = ["group", "requests", "p50 ms", "p95 ms", "p99 ms", "failed", "threshold", "verdict"]
    rows = [head]
    for r in records:
        if not r.check.startswith("load:"):
            continue
        d = r.details

        def pct(q: int, d: dict = d) -> str:
            value = d.get(f"p{q}_ms")
            if value is None:
                return "-"
            return f"{value:.0f}" if d["requests"] >= MIN_REQUESTS.get(q, 0) else f"({value:.0f})"

        rows.append(
            [
                f"{r.check.removeprefix('load:')}:{r.service}",
                str(d["requests"]),
                pct(50),
                pct(95),
                pct(99),
                f"{d['failure_ratio']:.1%}",
                d["threshold"],
                r.verdict.value.upper(),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return [_row(row, widths) for row in rows]


def stage_table(report: CapacityReport) -> list[str]:
    lines = [f"{'users':>6}  {'req/s':>8}  stage"]
    for stage in report.stages:
        if stage.breach is not None:
            verdict = f"BROKE: {stage.breach}"
        elif not stage.measured:
            verdict = f"NOT JUDGED: {'; '.join(stage.too_few)}"
        else:
            verdict = "held" + (f" (too few to judge {'; '.join(stage.too_few)})" if stage.too_few else "")
        lines.append(f"{stage.users:>6}  {stage.rps:>8.1f}  {verdict}")
    return lines
