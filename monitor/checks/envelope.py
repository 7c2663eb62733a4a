"""One envelope for every check's result: one message format, ``flaky`` derived from the attempts
the check's probes needed, and a measured duration on every record.

A check is a function run inside :func:`measured` (a kind of check declares it with
:func:`monitor.checks.registry.check`, which does so): it probes, hands what it saw to an analyser,
and returns :func:`judged` (problems, or the ok message) or :func:`unreachable`. The envelope
stamps what every record shares, so no check builds those parts by hand.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, ParamSpec

from monitor.probe import CertFetch, Exchange, Probe
from monitor.results import Category, CheckResult, Verdict

MAX_SHOWN = 5  # problems spelled out in the one-line message; all of them go to details.problems

_PHASE = {
    Category.DNS: "the host name does not resolve",
    Category.CONNECT: "could not connect",
    Category.TLS: "TLS handshake failed",
    Category.TIMEOUT: "no complete answer within the {timeout:g} s deadline",
    Category.PROTOCOL: "the answer was not well-formed HTTP",
    Category.BODY: "the answer was over the size cap",
}
_LABEL = {Verdict.FAIL: "FAILED", Verdict.WARN: "WARNING", Verdict.ERROR: "INCONCLUSIVE"}

P = ParamSpec("P")


def message(check: str, service: str, verdict: Verdict, category: Category | None, url: str, text: str) -> str:
    """``backend health FAILED [body]: https://…/health/healthz: expected ok == true, got false``."""
    label = _LABEL.get(verdict)
    head = f"{service} {check} {label} [{category}]" if label and category else f"{service} {check} {label or 'ok'}"
    return f"{head}: {url}: {text}" if url else f"{head}: {text}"


def judged(
    check: str,
    service: str,
    *,
    category: Category,
    problems: list[str],
    ok_message: str,
    url: str = "",
    path: str = "",
    verdict: Verdict | None = None,
    details: dict[str, Any] | None = None,
    preface: str = "",
) -> CheckResult:
    """Fail with the problems (the first few in the message, all in ``details.problems``), or pass.
    ``verdict`` overrides for a non-failing outcome that is not a plain pass (a warning).
    ``preface`` opens a failing message (what was looked at) without being a problem itself: alerting
    tells a new problem from the ones already announced by ``details.problems``."""
    details = dict(details or {})
    if problems:
        shown = "; ".join([*filter(None, [preface]), *problems[:MAX_SHOWN]])
        if len(problems) > MAX_SHOWN:
            shown += f"; and {len(problems) - MAX_SHOWN} more (see details.problems in the results file)"
        details["problems"] = problems
        outcome, text = verdict or Verdict.FAIL, shown
    else:
        outcome, text = verdict or Verdict.PASS, ok_message
    return CheckResult(
        check=check,
        service=service,
        verdict=outcome,
        path=path,
        url=url,
        category=category if outcome is not Verdict.PASS else None,
        message=message(check, service, outcome, category, url, text),
        details=details,
    )


def unreachable(
    check: str,
    service: str,
    probe: Probe,
    exchange: Exchange | CertFetch,
    *,
    url: str = "",
    path: str = "",
    details: dict[str, Any] | None = None,
) -> CheckResult:
    """The target did not answer, or not in full: the phase that failed is the category."""
    category = exchange.category or Category.CONNECT
    url = url or getattr(exchange, "url", "")
    phase = _PHASE.get(category, "request failed").format(timeout=exchange.deadline_s or probe.settings.timeout_s)
    text = f"expected an answer, {phase}: {exchange.error_text} (after {exchange.attempts} attempt(s))"
    return CheckResult(
        check=check,
        service=service,
        verdict=Verdict.FAIL,
        category=category,
        path=path,
        url=url,
        message=message(check, service, Verdict.FAIL, category, url, text),
        details=dict(details or {}),
    )


def inconclusive(
    check: str, service: str, *, url: str, why: str, path: str = "", details: dict[str, Any] | None = None
) -> CheckResult:
    """The probe never reached what the check judges (a 401 before the limiter, a 405 to the
    wrong method, a 429 the run itself caused): neither a pass nor the target's failure, but
    the monitor's own problem, so the verdict is ``error`` with category ``monitor`` and ``why``
    says what to fix (``… needs a signed-in probe: set auth = true and [auth] in the profile``)."""
    return CheckResult(
        check=check,
        service=service,
        verdict=Verdict.ERROR,
        category=Category.MONITOR,
        path=path,
        url=url,
        message=message(check, service, Verdict.ERROR, Category.MONITOR, url, why),
        details=dict(details or {}),
    )


def measured(function: Callable[P, CheckResult]) -> Callable[P, CheckResult]:
    """Run a check and finish its record: the most attempts any of its requests needed (a pass
    that needed a retry is ``flaky``) and the check's wall-clock duration."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> CheckResult:
        probes = [a for a in (*args, *kwargs.values()) if isinstance(a, Probe)]
        marks = [len(p.exchanges) for p in probes]
        started = time.perf_counter()
        result = function(*args, **kwargs)
        result.duration_ms = round((time.perf_counter() - started) * 1000, 1)
        seen = [e for p, mark in zip(probes, marks, strict=False) for e in p.exchanges[mark:]]
        for p, mark in zip(probes, marks, strict=False):
            del p.exchanges[mark:]  # a session's probe must not grow without bound
        result.attempts = max([result.attempts, *(e.attempts for e in seen)])
        warm_up = result.details.get("warm_up")  # kept out of the exchanges, but sent all the same
        result.details["requests"] = sum(e.attempts for e in seen) + (
            warm_up.get("attempts", 0) if isinstance(warm_up, dict) else 0
        )  # what the check cost the target
        if result.verdict is Verdict.PASS and result.attempts > 1:
            result.verdict = Verdict.FLAKY
            result.message += f" (flaky: needed {result.attempts} attempts)"
        return result

    return run
