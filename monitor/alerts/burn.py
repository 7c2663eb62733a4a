"""Multi-window, multi-burn-rate alerts on an SLO (Google SRE workbook, "Alerting on SLOs",
table 5-8): a rule fires when the error budget burns at least ``factor`` times the sustainable
rate over both its long window (significance) and its short window (it is still happening).

The input is the error ratio per window (failed / judged runs, or bad / all events), named by
window ("5m", "1h", "30m", "6h", "3d"): whatever computes the SLO figures supplies them. A rule
whose windows are not both given is not evaluated."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class BurnRule:
    severity: str  # "page" wakes someone; "ticket" can wait for working hours
    long: str
    short: str
    factor: float  # budget consumed: 14.4 over 1 h is 2 % of a 30-day budget


RULES = (BurnRule("page", "1h", "5m", 14.4), BurnRule("page", "6h", "30m", 6.0), BurnRule("ticket", "3d", "6h", 1.0))


@dataclass(frozen=True)
class BurnWindow:
    severity: str
    long: str
    short: str
    factor: float
    long_rate: float  # burn rate over the long window (error ratio / error budget)
    short_rate: float


def burn_alerts(error_ratios: Mapping[str, float], slo: float, rules: tuple[BurnRule, ...] = RULES) -> list[BurnWindow]:
    """The rules that fire, in the order given. ``slo`` is the target ratio, e.g. 0.999."""
    if not 0 < slo < 1:
        raise ValueError(f"slo must be between 0 and 1 (e.g. 0.999), got {slo}")
    budget = 1 - slo
    firing = []
    for rule in rules:
        if rule.long not in error_ratios or rule.short not in error_ratios:
            continue
        long_rate = round(error_ratios[rule.long] / budget, 6)
        short_rate = round(error_ratios[rule.short] / budget, 6)
        if long_rate >= rule.factor and short_rate >= rule.factor:
            firing.append(BurnWindow(rule.severity, rule.long, rule.short, rule.factor, long_rate, short_rate))
    return firing
