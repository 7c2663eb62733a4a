"""Does a sign-in-first route refuse the callers it must? Each trial is one request with one gate's
proof removed (the session, a real token, a same-site Origin, the double-submit pair) and an
otherwise ordinary body the route refuses after its gates: a gate that lets the trial through is
seen by the route's own answer (2xx, or a 400 from its schema check), never by a guess.

What a healthy deployment may answer differs: 401 or 403 to a caller without a (real) session,
or a redirect to the sign-in page; 403 to a signed-in request CSRF must stop. 404/405/429 and a
refused session never reached the gate under test: the check is inconclusive then, not passed."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from monitor.analysers.errors import error_leaks
from monitor.analysers.reach import short

SIGN_IN_REFUSALS = (401, 403)
CSRF_REFUSALS = (403,)


@dataclass(frozen=True)
class Trial:
    label: str  # what was sent: "an anonymous request", "a forged bearer token", ...
    gate: str  # the gate it tests: "sign-in", "bearer token check", "CSRF"
    status: int
    body: str = ""
    location: str = ""
    signed_in: bool = False  # sent with the monitor's session: only a 403 refuses it

    @property
    def expected(self) -> str:
        return "403" if self.signed_in else "401 or 403 (or a redirect to sign-in)"

    @property
    def answer(self) -> str:
        where = f" to {self.location}" if 300 <= self.status < 400 and self.location else ""
        return f"{self.status}{where} {short(self.body)}" if self.body else f"{self.status}{where}"


@dataclass
class AccessJudgement:
    refused: list[str] = field(default_factory=list)  # "an anonymous request: 401"
    open: list[str] = field(default_factory=list)  # a gate let a trial through: the target's failure
    server_errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)  # an error body that gives internals away
    unreached: list[str] = field(default_factory=list)  # the trial never met its gate: says what to fix

    @property
    def problems(self) -> list[str]:
        return [*self.open, *self.server_errors, *self.leaks]


def redirects_to_sign_in(status: int, location: str, sign_in_path: str) -> bool:
    return 300 <= status < 400 and urlsplit(location).path.rstrip("/") == sign_in_path.rstrip("/")


def _unreached(trial: Trial, sign_in_path: str) -> str | None:
    """Why the trial never met the gate it tests, or None if it did."""
    status = trial.status
    if status == 404:
        return f"{trial.label} got 404: there is no such route here (check the rule's path)"
    if status == 405:
        return f"{trial.label} got 405: the route does not take this method (check the rule's method)"
    if status == 429:
        before = "the CSRF check" if trial.signed_in else "the sign-in gate"
        return (
            f"{trial.label} got 429: a rate limiter answered before {before}, so the gate was never seen "
            f"(the limit was spent by this run or other traffic; try again after the window)"
        )
    if trial.signed_in and (status == 401 or redirects_to_sign_in(status, trial.location, sign_in_path)):
        return (
            f"{trial.label} got {trial.answer}: the route refused the monitor's session, so its CSRF check was "
            f"never reached (check [auth]: is the monitor account a user of this deployment?)"
        )
    if 300 <= status < 400 and not redirects_to_sign_in(status, trial.location, sign_in_path):
        return (
            f"{trial.label} got {trial.answer}: a redirect elsewhere than the sign-in page "
            f"({sign_in_path}) says nothing about the gate (check the rule's path, or security.sign_in_path)"
        )
    return None


def judge_access(trials: list[Trial], sign_in_path: str) -> AccessJudgement:
    judgement = AccessJudgement()
    for trial in trials:
        status = trial.status
        if status >= 400 and (leaks := error_leaks(trial.body, status)):
            judgement.leaks.append(f"{trial.label}: the {status} error body reveals {', '.join(leaks)}")
        refusals = CSRF_REFUSALS if trial.signed_in else SIGN_IN_REFUSALS
        if status in refusals:
            judgement.refused.append(f"{trial.label}: {status}")
        elif not trial.signed_in and redirects_to_sign_in(status, trial.location, sign_in_path):
            judgement.refused.append(f"{trial.label}: {status} to sign-in")
        elif (why := _unreached(trial, sign_in_path)) is not None:
            judgement.unreached.append(why)
        elif status >= 500:
            judgement.server_errors.append(
                f"{trial.label} got {trial.answer}: a server error where the "
                f"{trial.gate} gate should refuse it (expected {trial.expected})"
            )
        else:
            seen = "was served" if status < 300 else "reached the route's own checks"
            judgement.open.append(
                f"{trial.gate} not enforced: {trial.label} {seen} ({trial.answer}); expected {trial.expected}"
            )
    return judgement
