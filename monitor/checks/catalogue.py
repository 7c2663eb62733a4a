"""Every check a profile implies, in one list: its kind, its stable id, and the arguments its
check function is handed (the kind's typed dataclass, :mod:`monitor.checks.registry`). The suites'
parameters, the fault matrix's expectations and the status page's expected checks all read it; a
run builds it once per profile (:func:`monitor.plugins.params.run_catalogue`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from monitor.analysers.headers import HeaderPolicy
from monitor.checks.access import AccessArgs
from monitor.checks.deploy import VersionArgs
from monitor.checks.guards import RateLimitArgs, ValidationArgs
from monitor.checks.registry import Kind, declare, kind_of
from monitor.checks.security import (
    CookiesArgs,
    CorsArgs,
    ExposureArgs,
    HeadersArgs,
    HttpsRedirectArgs,
    SecretsArgs,
)
from monitor.checks.smoke import HealthArgs, LatencyArgs, TlsArgs
from monitor.profile import AccessRule, Profile, RateLimitRule, ValidationRule
from monitor.results import CheckResult

JOURNEYS = ("sign-up", "sign-in", "chat", "payment")


@dataclass(frozen=True)
class JourneyArgs:
    journey: str  # one of JOURNEYS


# The one kind without a check function: each journey is a browser test in tests/journeys.
JOURNEY = declare(Kind("journey", JourneyArgs, nothing_to_probe="no frontend service in this profile"))


@dataclass(frozen=True)
class CheckCase:
    service: str
    path: str = ""  # part of the id: an endpoint path, a page, or "METHOD /path"
    args: Any = field(default=None, compare=False)  # its kind's arguments (which name the kind)
    auth: bool = field(default=False, compare=False)  # probe it signed in (the rule says auth = true)
    budget: str | None = field(default=None, compare=False)  # the limiter budget it spends, see budget_key
    kind: str = field(init=False)  # health, latency, tls, headers, ...: the kind its arguments belong to

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", kind_of(self.args).name)

    @property
    def id(self) -> str:
        """The id its CheckResult will carry: ``health:frontend:/api/health``."""
        return ":".join(part for part in (self.kind, self.service, self.path) if part)

    @property
    def label(self) -> str:
        """A readable pytest id: ``frontend/api/health``, ``frontend POST /api/journal``."""
        if self.path.startswith("/"):
            return f"{self.service}{self.path}"
        return f"{self.service} {self.path}" if self.path else self.service

    def run(self, *inputs: Any, **extra: Any) -> CheckResult:
        """Run this case's check: ``verdict(case.run(probe))``."""
        return kind_of(self.args).run(self.args, *inputs, **extra)


def journey_function(journey: str) -> str:
    """A journey's test function: journey ``sign-up`` is recorded by ``test_sign_up``."""
    return "test_" + journey.replace("-", "_")


def budget_key(service: str, method: str, path: str, signed_in: bool) -> str:
    """One limiter budget: a route, per caller. Signed in, the caller is the monitor account
    (which the chat journey shares); anonymous, the client address. Safe as an xdist group name."""
    return f"budget:{service}:{method}:{path}:{'account' if signed_in else 'client'}"


def build(profile: Profile) -> list[CheckCase]:
    cases: list[CheckCase] = []
    rules = profile.security
    for name, spec in profile.services.items():
        sec = spec.security
        for endpoint in spec.health:
            cases.append(
                CheckCase(
                    name,
                    endpoint.path,
                    HealthArgs(service=name, url=spec.url(endpoint.path), endpoint=endpoint, warm_up=spec.warm_up),
                )
            )
        cases.append(
            CheckCase(
                name,
                args=LatencyArgs(
                    service=name,
                    url=spec.latency_url,
                    threshold_ms=spec.latency_ms,
                    samples=profile.latency_samples,
                    healthy_status=spec.latency_status,
                    warm_up=spec.warm_up,
                ),
            )
        )
        if spec.is_https:
            cases.append(CheckCase(name, args=TlsArgs(service=name, url=spec.base_url, policy=profile.tls)))
        policy = HeaderPolicy(
            tuple(sec.required_headers),
            rules.hsts_min_age,
            rules.hsts_include_subdomains,
            rules.hsts_preload,
            rules.csp_allow_unsafe,
        )
        for path in sec.header_paths:
            cases.append(CheckCase(name, path, HeadersArgs(service=name, url=spec.url(path), policy=policy)))
        if sec.http_url:
            cases.append(CheckCase(name, args=HttpsRedirectArgs(service=name, http_url=sec.http_url)))
        for path in sec.cookie_paths:
            cases.append(
                CheckCase(
                    name, path, CookiesArgs(service=name, url=spec.url(path), session_cookies=sec.session_cookies)
                )
            )
        origins = profile.cors.allowed_origins if sec.cors_origins is None else sec.cors_origins
        if sec.cors_path and (origins or sec.cors_origins is not None):
            cases.append(
                CheckCase(
                    name,
                    args=CorsArgs(
                        service=name,
                        url=spec.url(sec.cors_path),
                        method=sec.cors_method,
                        policy=profile.cors.model_copy(update={"allowed_origins": origins}),
                    ),
                )
            )
        if sec.pages:
            cases.append(
                CheckCase(
                    name,
                    args=SecretsArgs(
                        service=name,
                        base_url=spec.base_url,
                        pages=sec.pages,
                        max_files=sec.scan_max_files,
                        max_bytes=sec.scan_max_bytes,
                        concurrency=sec.scan_concurrency,
                    ),
                )
            )
        if spec.version:
            cases.append(
                CheckCase(name, args=VersionArgs(service=name, url=spec.url(spec.version.path), source=spec.version))
            )
        cases.append(
            CheckCase(
                name,
                args=ExposureArgs(
                    service=name,
                    url=spec.url(spec.health[0].path),
                    base_url=spec.base_url,
                    private_paths=sec.private_paths,
                    allow_version=rules.allow_version_disclosure,
                    sign_in_path=rules.sign_in_path,
                ),
            )
        )

    for limit in profile.rate_limits:
        cases.append(
            CheckCase(
                limit.service,
                f"{limit.method} {limit.path}",
                RateLimitArgs(rule=limit, url=profile.services[limit.service].url(limit.path)),
                auth=limit.auth,
                budget=budget_key(limit.service, limit.method, limit.path, limit.auth),
            )
        )
    for valid in profile.validation:
        cases.append(
            CheckCase(
                valid.service,
                f"{valid.method} {valid.path}",
                ValidationArgs(rule=valid, url=profile.services[valid.service].url(valid.path)),
                auth=valid.auth,
                budget=budget_key(valid.service, valid.method, valid.path, valid.auth),
            )
        )
    for rule in access_rules(profile):
        # Its signed-in (CSRF) trials spend the monitor account's budget on the route.
        cases.append(
            CheckCase(
                rule.service,
                f"{rule.method} {rule.path}",
                AccessArgs(
                    rule=rule,
                    url=profile.services[rule.service].url(rule.path),
                    sign_in_path=profile.security.sign_in_path,
                    origin=profile.auth_origin,
                    csrf_cookie=profile.auth.csrf_cookie,
                    csrf_header=profile.auth.csrf_header,
                ),
                auth=rule.csrf,
                budget=budget_key(rule.service, rule.method, rule.path, rule.csrf),
            )
        )
    if "frontend" in profile.services:
        # The chat journey sends one message as the monitor account: it spends that account's
        # budget on the chat route, as a signed-in probe there does.
        chat = budget_key("frontend", "POST", profile.journeys.chat_stream_path, True)
        cases += [
            CheckCase("frontend", journey, JourneyArgs(journey), budget=chat if journey == "chat" else None)
            for journey in JOURNEYS
        ]
    return cases


def access_rules(profile: Profile) -> list[AccessRule]:
    """The profile's [[access]] rules, then one for every other route a rule says is sign-in first
    (auth = true), carrying a body that rule knows the route refuses: the rate-limit probe's, else
    validation's wrong types."""
    rules = {(rule.service, rule.method, rule.path): rule for rule in profile.access}
    guarded: list[RateLimitRule | ValidationRule] = [*profile.rate_limits, *profile.validation]
    for rule in guarded:
        key = (rule.service, rule.method, rule.path)
        if rule.auth and key not in rules:
            body = rule.json_body if isinstance(rule, RateLimitRule) else rule.wrong_types
            rules[key] = AccessRule(service=rule.service, method=rule.method, path=rule.path, json_body=body)
    return list(rules.values())


class Catalogue:
    """The cases of one profile, in the order the suites run them, found by kind or by id."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self.cases = build(profile)
        self._by_id = {case.id: case for case in self.cases}

    def __iter__(self) -> Iterator[CheckCase]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)

    def of_kind(self, kind: str) -> list[CheckCase]:
        return [case for case in self.cases if case.kind == kind]

    def get(self, check_id: str) -> CheckCase | None:
        return self._by_id.get(check_id)

    def find(self, check_id: str) -> CheckCase:
        case = self.get(check_id)
        if case is None:
            raise KeyError(f"profile {self.profile.name} implies no check {check_id!r}")
        return case


def catalogue(profile: Profile) -> Catalogue:
    return Catalogue(profile)
