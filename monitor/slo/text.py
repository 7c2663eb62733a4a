"""The SLO report as the plain-text tables ``slurpy-monitor uptime`` prints."""

from __future__ import annotations

from monitor.slo.compute import WINDOWS, Uptime
from monitor.slo.report import Entity, Report


def percent(ratio: float | None, digits: int = 2) -> str:
    return "no data" if ratio is None else f"{100 * ratio:.{digits}f} %"


def duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours = seconds // 60, seconds // 3600
    if hours < 1:
        return f"{minutes} min"
    return f"{hours} h {minutes % 60:02d} min" if hours < 48 else f"{seconds // 86400} d {hours % 24} h"


def _cell(uptime: Uptime) -> str:
    """``99.52 % of 23 h 55 min (+5 min unknown)``: the figure and the known time behind it."""
    shown = percent(uptime.ratio) + (f" of {duration(uptime.known_s)}" if uptime.known_s else "")
    return shown + (f" (+{duration(uptime.unknown_s)} unknown)" if uptime.unknown_s else "")


def _rows(entities: list[Entity], first: str) -> list[list[str]]:
    head = [first, "state", *WINDOWS, "budget left", "burn 1h / 6h", "alerts"]
    rows = [head]
    for e in entities:
        budget = (
            "no data"
            if e.budget is None
            else f"{percent(e.budget.left_ratio, 1)} ({duration(max(0, e.budget.left_s))})"
        )
        burn = " / ".join("no data" if e.burn[w].burn is None else f"{e.burn[w].burn:.1f}x" for w in ("1h", "6h"))
        firing = ", ".join(a.name for a in e.alerts if a.firing) or "-"
        rows.append([e.name, e.state, *(_cell(e.uptime[w]) for w in WINDOWS), budget, burn, firing])
    return rows


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def lines(report: Report) -> list[str]:
    out = [
        f"{report.target}: {report.runs} runs in the last {report.window_days} days; objective "
        f"{percent(report.objective, 1)} of known time up over {report.window_days} d; as of "
        f"{report.now:%Y-%m-%d %H:%M} UTC. Each figure is of the time runs observed (known time); unknown: "
        "expected runs that never came (not counted as up). Burn-rate alerts fire once the long window holds two "
        "short windows of known time.",
        "",
    ]
    out += _table(_rows(report.services, "service")) + [""]
    out += _table(_rows(report.checks, "check")) + [""]
    out += _table(
        [
            ["latency objective", "check", "p95", "objective", "samples", "met"],
            *(
                [
                    r.name,
                    r.check,
                    "no data" if r.p95_ms is None else f"{r.p95_ms:.0f} ms",
                    f"{r.objective_ms:.0f} ms",
                    str(r.samples),
                    {True: "yes", False: "NO", None: "-"}[r.met],
                ]
                for r in report.latency
            ),
        ]
    ) + [""]
    found = sorted((i for e in report.services for i in e.incidents), key=lambda i: i.started, reverse=True)
    out.append("incidents (services):" if found else "incidents (services): none")
    for i in found:
        end = "OPEN" if i.ended is None else f"to {i.ended:%Y-%m-%d %H:%M}"
        out.append(
            f"  {i.entity}: {i.started:%Y-%m-%d %H:%M} {end} UTC, {duration(i.duration_s(report.now))}, "
            f"{i.runs} failed runs, {', '.join(i.categories) or 'no category'} ({', '.join(i.checks)})"
        )
    return out
