"""Grade a response's security headers against the operations guide's policy, with a
Mozilla-Observatory-style score and grade for the report."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from monitor.profile import FULL_POLICY, HSTS_FLOOR_S

SAFE_REFERRER = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "origin",
    "origin-when-cross-origin",
}
INFORMATIONAL = ("x-dns-prefetch-control", "x-xss-protection")
# Observatory-style penalties; a clean response scores 100 and earns an A+.
PENALTY = {
    "strict-transport-security": 20,
    "content-security-policy": 25,
    "x-frame-options": 20,
    "x-content-type-options": 5,
    "referrer-policy": 5,
    "permissions-policy": 5,
    "duplicate": 10,
}
GRADES = (
    (100, "A+"),
    (90, "A"),
    (85, "A-"),
    (80, "B+"),
    (70, "B"),
    (65, "B-"),
    (60, "C+"),
    (50, "C"),
    (45, "C-"),
    (40, "D+"),
    (30, "D"),
    (25, "D-"),
    (0, "F"),
)


@dataclass(frozen=True)
class HeaderPolicy:
    required: tuple[str, ...] = FULL_POLICY
    hsts_min_age: int = HSTS_FLOOR_S
    hsts_include_subdomains: bool = False
    hsts_preload: bool = False
    csp_allow_unsafe: bool = False


@dataclass
class HeaderReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # informational headers, recommendations
    score: int = 100

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def grade(self) -> str:
        return next(grade for floor, grade in GRADES if self.score >= floor)

    def fail(self, key: str, problem: str) -> None:
        self.problems.append(problem)
        self.score = max(0, self.score - PENALTY.get(key, 5))


def group_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name.lower(), []).append(value.strip())
    return grouped


def parse_csp(value: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in value.split(";"):
        tokens = part.split()
        if tokens:
            directives.setdefault(tokens[0].lower(), [t.lower() for t in tokens[1:]])
    return directives


def parse_hsts(value: str) -> tuple[int | None, set[str]]:
    max_age, flags = None, set()
    for part in value.split(";"):
        name, _, arg = part.strip().partition("=")
        if name.strip().lower() == "max-age":
            try:
                max_age = int(arg.strip().strip('"'))
            except ValueError:
                max_age = None
        elif name.strip():
            flags.add(name.strip().lower())
    return max_age, flags


HSTS_OVER_HTTP = (
    "strict-transport-security not judged: browsers ignore it on a plain-http answer; the profile "
    "requires it on an http service (serve it over https, or leave it out of required_headers)"
)


def grade_headers(pairs: Iterable[tuple[str, str]], policy: HeaderPolicy, https: bool = True) -> HeaderReport:
    """``https``: whether the answer came over TLS. HSTS means nothing on plain http (RFC 6797 §8.1:
    browsers ignore it there), so it is judged on https answers only."""
    headers = group_headers(pairs)
    report = HeaderReport()
    if not https:
        if "strict-transport-security" in policy.required:
            report.notes.append(HSTS_OVER_HTTP)
        headers.pop("strict-transport-security", None)
        policy = replace(policy, required=tuple(h for h in policy.required if h != "strict-transport-security"))
    for name, values in headers.items():
        if len(set(values)) > 1 and (name in FULL_POLICY or name in INFORMATIONAL):
            report.fail(
                "duplicate",
                f"{name} sent {len(values)} times with different values ({' | '.join(values)}); "
                "browsers may use either: send it once",
            )
    one = {name: values[0] for name, values in headers.items()}
    csp = parse_csp(one.get("content-security-policy", ""))
    for name in policy.required:
        if name not in one and not (name == "x-frame-options" and "frame-ancestors" in csp):
            report.fail(name, f"{name} missing")
    if "strict-transport-security" in one:
        _grade_hsts(one["strict-transport-security"], policy, report)
    if "x-frame-options" in one and one["x-frame-options"].upper() not in ("DENY", "SAMEORIGIN"):
        report.fail(
            "x-frame-options", f"x-frame-options is {one['x-frame-options']!r}, policy wants DENY or SAMEORIGIN"
        )
    if "x-content-type-options" in one and one["x-content-type-options"].lower() != "nosniff":
        report.fail(
            "x-content-type-options",
            f"x-content-type-options is {one['x-content-type-options']!r}, policy wants nosniff",
        )
    if "referrer-policy" in one:
        values = [v.strip().lower() for v in one["referrer-policy"].split(",")]
        if values[-1] not in SAFE_REFERRER:  # browsers use the last value they understand
            report.fail(
                "referrer-policy",
                f"referrer-policy {one['referrer-policy']!r} leaks full URLs cross-origin; "
                f"use one of {', '.join(sorted(SAFE_REFERRER))}",
            )
    if "content-security-policy" in one:
        _grade_csp(csp, policy, report)
    for name in INFORMATIONAL:
        report.notes.append(f"{name}: {one[name]}" if name in one else f"{name}: absent (informational)")
    return report


def _grade_hsts(value: str, policy: HeaderPolicy, report: HeaderReport) -> None:
    max_age, flags = parse_hsts(value)
    if max_age is None or max_age < policy.hsts_min_age:
        report.fail(
            "strict-transport-security",
            f"strict-transport-security max-age is {max_age}, policy wants >= {policy.hsts_min_age} s",
        )
    for flag, wanted in (("includesubdomains", policy.hsts_include_subdomains), ("preload", policy.hsts_preload)):
        if wanted and flag not in flags:
            report.fail(
                "strict-transport-security", f"strict-transport-security lacks {flag}, which the profile requires"
            )
    if max_age is not None and max_age < 31536000 or not {"includesubdomains", "preload"} <= flags:
        report.notes.append("recommend strict-transport-security: max-age=63072000; includeSubDomains; preload")


# Browsers that understand a nonce or hash in script-src ignore 'unsafe-inline' there (CSP2): it is
# left in only as a fallback for older ones, so it opens nothing.
SCRIPT_PROOFS = ("'nonce-", "'sha256-", "'sha384-", "'sha512-")
ANY_ANCESTOR = ("*", "http:", "https:")


def _grade_csp(csp: dict[str, list[str]], policy: HeaderPolicy, report: HeaderReport) -> None:
    scripts = csp.get("script-src", csp.get("default-src", []))
    unsafe = sorted({t for t in scripts if t in ("'unsafe-inline'", "'unsafe-eval'")})
    if "'unsafe-inline'" in unsafe and any(t.startswith(SCRIPT_PROOFS) for t in scripts):
        unsafe.remove("'unsafe-inline'")
        report.notes.append(
            "content-security-policy: 'unsafe-inline' in script-src is ignored next to its nonce or hash"
        )
    if unsafe and not policy.csp_allow_unsafe:
        report.fail(
            "content-security-policy",
            f"content-security-policy script-src allows {' and '.join(unsafe)}: any injected script runs",
        )
    if "frame-ancestors" not in csp:
        report.fail("content-security-policy", "content-security-policy has no frame-ancestors directive")
    elif wide := [t for t in csp["frame-ancestors"] if t in ANY_ANCESTOR]:
        report.fail(
            "content-security-policy",
            f"content-security-policy frame-ancestors {' '.join(wide)} lets any site frame the page",
        )


VERSION = re.compile(r"\d+\.\d+")


def version_disclosure(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """``Server: nginx/1.18.0`` tells an attacker which CVEs to try; a bare product name does not."""
    headers = group_headers(pairs)
    return [
        f"{name}: {value}"
        for name in ("server", "x-powered-by", "x-aspnet-version")
        for value in headers.get(name, [])
        if VERSION.search(value)
    ]
