"""The Markdown a GitHub job shows on its summary page: counts, every check that did not pass
with its message, a gate's latency against its baseline, the skipped ones with their reasons,
then the slowest checks."""

from __future__ import annotations

from monitor import cost
from monitor.pipeline import Run
from monitor.results import Verdict

SLOWEST = 5
_ICON = {Verdict.FAIL: "❌", Verdict.ERROR: "🛑", Verdict.WARN: "⚠️", Verdict.FLAKY: "🔁"}


def _code(text: str) -> str:
    """Inline code survives every character a message holds, except a backtick."""
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def markdown(run: Run) -> str:
    results = run.results
    counts = {v: sum(r.verdict is v for r in results) for v in Verdict}
    bad = counts[Verdict.FAIL] + counts[Verdict.ERROR]
    headline = f"**{bad} of {len(results)} checks failed**" if bad else f"**all {len(results)} checks ok**"
    if not results:
        headline = "**no check ran**"
    about = [f"target `{run.target}`", f"run `{run.run_id}`"]
    if run.deploy_version:
        about.append(f"deploy version `{run.deploy_version}`")
    if run.runner:
        about.append(f"runner `{run.runner}`")
    lines = [
        f"### Slurpy monitor: {headline}",
        "",
        " · ".join(about),
        "",
        "| " + " | ".join(v.value for v in Verdict) + " |",
        "|" + "---|" * len(Verdict),
        "| " + " | ".join(str(counts[v]) for v in Verdict) + " |",
        "",
        cost.line(cost.tally(results)),
        "",
    ]
    if run.notes:
        lines += ["#### Notes", "", *(f"- {_code(note)}" for note in run.notes), ""]
    not_passing = sorted((r for r in results if r.verdict in _ICON), key=lambda r: (list(_ICON).index(r.verdict), r.id))
    if not_passing:
        lines += ["#### Not passing", ""]
        lines += [f"- {_ICON[r.verdict]} **{r.verdict.value}** {_code(r.id)}: {_code(r.message)}" for r in not_passing]
        lines.append("")
    compared = sorted((r for r in results if r.check == "baseline"), key=lambda r: r.id)
    if compared:  # a gate says how the deploy compares with before, also when it passed or had no baseline
        lines += ["#### Latency against the baseline (before this deploy)", ""]
        lines += [f"- **{r.verdict.value}** {_code(r.id)}: {_code(r.message)}" for r in compared]
        lines.append("")
    skipped = [r for r in results if r.verdict is Verdict.SKIP]
    if skipped:
        lines += [f"<details><summary>{len(skipped)} skipped</summary>", ""]
        lines += [f"- {_code(r.id)}: {_code(r.message)}" for r in sorted(skipped, key=lambda r: r.id)]
        lines += ["", "</details>", ""]
    timed = sorted((r for r in results if r.duration_ms is not None), key=lambda r: -(r.duration_ms or 0))[:SLOWEST]
    if timed:
        lines += ["#### Slowest checks", "", "| check | verdict | ms |", "|---|---|---:|"]
        lines += [f"| {_code(r.id)} | {r.verdict.value} | {r.duration_ms:.0f} |" for r in timed]
        lines.append("")
    return "\n".join(lines) + "\n"
