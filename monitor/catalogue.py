"""Every check a profile implies, in one list: what kind, its stable id, and the arguments its
check function is handed. The suites' parameters, the fault matrix's expectations and (later)
the status page's "expected checks" all read this list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor.analysers.headers import HeaderPolicy
from monitor.profile import AccessRule, Profile, RateLimitRule, ValidationRule

JOURNEYS = ("sign-up", "sign-in", "chat", "payment")


@dataclass(frozen=True)
class CheckCase:
    kind: str  # the check function's name: health, latency, tls, headers, ...
    service: str
    path: str = ""  # part of the id: an endpoint path, a page, or "METHOD /path"
    args: dict[str, Any] = field(default_factory=dict, compare=False)  # keyword arguments of the check
    auth: bool = field(default=False, compare=False)  # probe it signed in (the rule says auth = true)
    budget: str | None = field(default=None, compare=False)  # the limiter budget it spends, see budget_key

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


def journey_function(journey: str) -> str:
    """A journey's test function: journey ``sign-up`` is recorded by ``test_sign_up``."""
    return "test_" + journey.replace("-", "_")


def budget_key(service: str, method: str, path: str, signed_in: bool) -> str:
    """One limiter budget: a route, per caller. Signed in, the caller is the monitor account
    (which the chat journey shares); anonymous, the client address. Safe as an xdist group name."""
    return f"budget:{service}:{method}:{path}:{'account' if signed_in else 'client'}"


# Why a check has nothing to probe in a profile, said in words where pytest would say NOTSET.
NOTHING_TO_PROBE = {
    "health": "no service in this profile lists a health endpoint",
    "latency": "no service in this profile",
    "tls": "no https service in this profile",
    "headers": "no service in this profile lists header_paths under [services.<name>.security]",
    "https_redirect": "no service in this profile sets security.http_url (a plain-http URL that must redirect)",
    "cookies": "no service in this profile lists cookie_paths",
    "cors": "no service in this profile sets security.cors_path with allowed origins ([cors] or security.cors_origins)",
    "rate_limit": "this profile has no [[rate_limits]] rules",
    "validation": "this profile has no [[validation]] rules",
    "access": "this profile has no [[access]] rules and no rule with auth = true",
    "secrets": "no service in this profile lists pages to scan",
    "exposure": "no service in this profile",
    "journey": "no frontend service in this profile",
    "version": "no service in this profile says where it reports its version (services.<name>.version)",
}


def catalogue(profile: Profile) -> list[CheckCase]:
    cases: list[CheckCase] = []
    rules = profile.security
    for name, spec in profile.services.items():
        sec = spec.security
        for endpoint in spec.health:
            cases.append(
                CheckCase(
                    "health",
                    name,
                    endpoint.path,
                    dict(service=name, url=spec.url(endpoint.path), endpoint=endpoint, warm_up=spec.warm_up),
                )
            )
        cases.append(
            CheckCase(
                "latency",
                name,
                args=dict(
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
            cases.append(CheckCase("tls", name, args=dict(service=name, url=spec.base_url, policy=profile.tls)))
        policy = HeaderPolicy(
            tuple(sec.required_headers),
            rules.hsts_min_age,
            rules.hsts_include_subdomains,
            rules.hsts_preload,
            rules.csp_allow_unsafe,
        )
        for path in sec.header_paths:
            cases.append(CheckCase("headers", name, path, dict(service=name, url=spec.url(path), policy=policy)))
        if sec.http_url:
            cases.append(CheckCase("https_redirect", name, args=dict(service=name, http_url=sec.http_url)))
        for path in sec.cookie_paths:
            cases.append(
                CheckCase(
                    "cookies", name, path, dict(service=name, url=spec.url(path), session_cookies=sec.session_cookies)
                )
            )
        origins = profile.cors.allowed_origins if sec.cors_origins is None else sec.cors_origins
        if sec.cors_path and (origins or sec.cors_origins is not None):
            cases.append(
                CheckCase(
                    "cors",
                    name,
                    args=dict(
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
                    "secrets",
                    name,
                    args=dict(
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
                CheckCase(
                    "version", name, args=dict(service=name, url=spec.url(spec.version.path), source=spec.version)
                )
            )
        cases.append(
            CheckCase(
                "exposure",
                name,
                args=dict(
                    service=name,
                    url=spec.url(spec.health[0].path),
                    base_url=spec.base_url,
                    private_paths=sec.private_paths,
                    allow_version=rules.allow_version_disclosure,
                    sign_in_path=rules.sign_in_path,
                ),
            )
        )

    def guarded_route(kind: str, rule: RateLimitRule | ValidationRule) -> CheckCase:
        return CheckCase(
            kind,
            rule.service,
            f"{rule.method} {rule.path}",
            dict(rule=rule, url=profile.services[rule.service].url(rule.path)),
            auth=rule.auth,
            budget=budget_key(rule.service, rule.method, rule.path, rule.auth),
        )

    cases += [guarded_route("rate_limit", rule) for rule in profile.rate_limits]
    cases += [guarded_route("validation", rule) for rule in profile.validation]
    for rule in access_rules(profile):
        # Its signed-in (CSRF) trials spend the monitor account's budget on the route.
        cases.append(
            CheckCase(
                "access",
                rule.service,
                f"{rule.method} {rule.path}",
                dict(
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
            CheckCase("journey", "frontend", journey, budget=chat if journey == "chat" else None)
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


def cases_of(profile: Profile, kind: str) -> list[CheckCase]:
    return [case for case in catalogue(profile) if case.kind == kind]


def find(profile: Profile, check_id: str) -> CheckCase:
    for case in catalogue(profile):
        if case.id == check_id:
            return case
    raise KeyError(f"profile {profile.name} implies no check {check_id!r}")
