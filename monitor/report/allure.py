"""How a check reads in Allure: labels to filter and group by (target, service, category,
verdict; the behaviours view as suite > check kind), and a journey's steps with their times."""
from __future__ import annotations

from monitor.results import CheckResult, Verdict


def labels(results: list[CheckResult]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for result in results:
        pairs += [("target", result.target), ("service", result.service), ("verdict", result.verdict.value),
                  ("epic", result.target), ("feature", result.suite or result.check), ("story", result.check)]
        if result.category:
            pairs.append(("category", result.category.value))
        if result.deploy_version:
            pairs.append(("deploy_version", result.deploy_version))
    return list(dict.fromkeys(pairs))


def steps(result: CheckResult) -> list[tuple[str, float, bool]]:
    """A journey's steps as (name, ms, passed); the one its failure message names did not pass."""
    broke = result.message if result.verdict is Verdict.FAIL else ""
    return [(s["step"], float(s["ms"]), f"at step '{s['step']}'" not in broke) for s in result.details.get("steps", [])]
