"""A first run against a new target mixes two kinds of red: the profile says something untrue of
the deployment (a cookie page that sets no cookie, a private path that is also a health endpoint,
a rule whose route does not exist), or the deployment is at fault. This sorts them, from the
profile and the run's results alone: "fix your profile", "fix your app", "set up the monitor"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from monitor.profile import Profile
from monitor.results import Category, CheckResult, Verdict

Fix = Literal["profile", "app", "setup"]
FIXES: dict[Fix, str] = {"profile": "fix your profile", "app": "fix your app", "setup": "set up the monitor"}


@dataclass(frozen=True)
class Finding:
    fix: Fix
    check_id: str
    why: str


def _paths_checked_deep(profile: Profile, service: str) -> set[str]:
    spec = profile.services[service]
    paths = {endpoint.path for endpoint in spec.health}
    if spec.latency_path:
        paths.add(spec.latency_path)
    if spec.version:
        paths.add(spec.version.path)
    return paths


def static_mistakes(profile: Profile) -> list[Finding]:
    """What the profile contradicts in itself, before any request."""
    found: list[Finding] = []
    for name, spec in profile.services.items():
        sec = spec.security
        deep = _paths_checked_deep(profile, name)
        both = [p.path for p in sec.private_paths if p.path in deep]
        if both:
            found.append(
                Finding(
                    "profile",
                    f"exposure:{name}",
                    f"{', '.join(both)} is both checked as a health/version "
                    f"endpoint (it must answer) and listed in private_paths (it must not): keep one",
                )
            )
        if sec.cors_origins is not None and not sec.cors_path:
            found.append(
                Finding(
                    "profile",
                    f"cors:{name}",
                    "cors_origins are listed but no cors_path names a route to probe: the CORS check does not run",
                )
            )
    return found


def sort_results(profile: Profile, results: list[CheckResult]) -> list[Finding]:
    """Each result that did not pass, with who has to act on it. Skips that only mean "nothing to
    probe" or "not on a sensitive target" are left out: they are the profile's choice."""
    found: list[Finding] = []
    told = {finding.check_id for finding in static_mistakes(profile)}  # said already, before any request
    for result in results:
        fix = _fix(profile, result)
        if fix is not None and result.id not in told:
            found.append(Finding(fix[0], result.id, fix[1]))
    return found


def _fix(profile: Profile, result: CheckResult) -> tuple[Fix, str] | None:
    if result.verdict in (Verdict.PASS, Verdict.FLAKY):
        return None
    if result.verdict is Verdict.SKIP:
        if "set environment variable" in result.message or "names no environment variable" in result.message:
            return "setup", result.message
        return None
    message = result.message
    if result.category is Category.MONITOR:
        if "run the check again" in message:
            return "setup", message
        # The check never reached what it judges (a cookie page that sets no cookie, a route that
        # answers 404/405): the profile pointed it elsewhere, and the message says where to look.
        return "profile", message
    if result.check == "health" and result.category is Category.HTTP_STATUS and "got 404" in message:
        return "profile", f"{result.path} answered 404: is it the health path? ({message})"
    errors = re.search(r"answered an error \(([\d, ]+)\)", message)
    if result.check == "latency" and errors and set(errors.group(1).split(", ")) == {"404"}:
        return "profile", f"the latency path answers 404: set latency_path, or fix the first health path ({message})"
    if result.check == "exposure" and result.service in profile.services:
        deep = _paths_checked_deep(profile, result.service)
        public = [entry.split(" (")[0] for entry in result.details.get("public", [])]
        if public and all(path in deep for path in public):
            return (
                "profile",
                f"{', '.join(public)} is a health endpoint (it answers by design), not a private path: "
                "remove it from private_paths",
            )
    return "app", message
