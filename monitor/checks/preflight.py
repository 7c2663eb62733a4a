"""Is anything there at all? One request per service, before any other check: only no answer
(the host does not resolve, nothing accepts the connection, nothing answers in time) counts as
unreachable. Any answer, a TLS error or a 500 included, means the checks can run and judge it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from monitor.checks.envelope import measured, message, unreachable
from monitor.probe import NetworkSettings, Probe
from monitor.profile import Profile
from monitor.results import Category, CheckResult, Verdict

NO_ANSWER = (Category.DNS, Category.CONNECT, Category.TIMEOUT)


@measured  # run by the preflight plugin before any check, not a kind the catalogue lists
def reachable(probe: Probe, service: str, url: str) -> CheckResult:
    exchange = probe.get(url)
    if exchange.response is None and exchange.category in NO_ANSWER:
        return unreachable("reachable", service, probe, exchange)
    answer = (
        f"answered {exchange.response.status_code}"
        if exchange.response is not None
        else f"answered, with a problem the checks will judge: {exchange.error_text}"
    )
    return CheckResult(
        check="reachable",
        service=service,
        url=url,
        verdict=Verdict.PASS,
        message=message("reachable", service, Verdict.PASS, None, url, answer),
    )


def reach_all(profile: Profile) -> list[CheckResult]:
    """Every service at once, so a dead deployment costs one timeout, not one per service."""

    def one(item: tuple[str, str]) -> CheckResult:
        service, url = item
        probe = Probe(NetworkSettings.from_profile(profile))
        try:
            return reachable(probe, service, url)
        finally:
            probe.close()

    targets = [(name, spec.url(spec.health[0].path)) for name, spec in profile.services.items()]
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        return list(pool.map(one, targets))
