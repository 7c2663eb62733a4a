"""How a check reads in Allure, as it reads in the monitor's own summary: named by its check id;
the suites tree by target > service > check kind (not by test file); target, service, verdict and
category as labels and as tags (shown at the top of a test, not under "Show more"); a journey's
steps with their times."""

from __future__ import annotations

from monitor.results import CheckResult, Verdict


def labels(results: list[CheckResult]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for result in results:
        pairs += [
            ("target", result.target),
            ("service", result.service),
            ("verdict", result.verdict.value),
            ("epic", result.target),
            ("feature", result.suite or result.check),
            ("story", result.check),
        ]
        if result.category:
            pairs.append(("category", result.category.value))
        if result.deploy_version:
            pairs.append(("deploy_version", result.deploy_version))
    return list(dict.fromkeys(pairs))


def steps(result: CheckResult) -> list[tuple[str, float, bool]]:
    """A journey's steps as (name, ms, passed); the one its failure message names did not pass."""
    broke = result.message if result.verdict is Verdict.FAIL else ""
    return [(s["step"], float(s["ms"]), f"at step '{s['step']}'" not in broke) for s in result.details.get("steps", [])]


# The labels allure-pytest fills from the test's file, class and function: replaced by the monitor's own.
FILE_LABELS = ("parentSuite", "suite", "subSuite", "package", "testClass", "testMethod")


def identity(results: list[CheckResult], case: dict[str, str] | None, target: str) -> tuple[str, list[tuple[str, str]]]:
    """The test's name (the check id) and its place in the suites tree, from its record, or, for a
    check skipped or broken before it recorded anything, from the catalogue case it was to run."""
    if results:
        first = results[0]
        check, service, name = first.check, first.service, first.id
    elif case:
        check, service = case["check"], case["service"]
        name = ":".join(part for part in (check, service, case.get("path", "")) if part)
    else:
        return "", [("parentSuite", target)]
    return name, [("parentSuite", target), ("suite", service or "(all services)"), ("subSuite", check)]


def tags(results: list[CheckResult]) -> list[str]:
    found = [
        t for r in results for t in (f"verdict:{r.verdict.value}", f"category:{r.category.value}" if r.category else "")
    ]
    return list(dict.fromkeys(t for t in found if t))
