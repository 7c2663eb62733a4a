"""Access control: a sign-in-first route must refuse a caller without a session and one with a
forged token, and, where the profile says the route checks CSRF, a signed-in request from a
foreign Origin, with a mismatched double-submit pair, or with the cookie but not its header.

Every trial but the one it tests looks like the app's own request (a same-site Origin and a
matching pair), and carries the rule's body, which the route refuses after its gates: so a gate
left open is seen in the route's own answer, and starts no work."""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from dataclasses import dataclass

from monitor.analysers.access import Trial, judge_access
from monitor.checks.envelope import inconclusive, judged, unreachable
from monitor.checks.registry import check
from monitor.probe import Probe
from monitor.profile import AccessRule
from monitor.results import Category, CheckResult

# An origin no deployment allows: what a page on an attacker's site sends.
FOREIGN_ORIGIN = "https://csrf-probe.slurpy-monitor.invalid"


def forged_bearer() -> str:
    """A well-formed Supabase-style access token that nobody issued: right claims, made-up signature.
    A route that decodes tokens without verifying them takes it for a user."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "aud": "authenticated",
        "role": "authenticated",
        "iat": now,
        "exp": now + 3600,
        "email": "forged@slurpy-monitor.invalid",
    }
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{part({'forged': secrets.token_hex(8)})}"


@dataclass(frozen=True)
class AccessArgs:
    rule: AccessRule
    url: str
    sign_in_path: str
    origin: str | None
    csrf_cookie: str
    csrf_header: str


@check(
    "access",
    AccessArgs,
    nothing_to_probe="this profile has no [[access]] rules and no rule with auth = true",
    inputs=("probe", "signed"),  # signed: the monitor account's probe where the rule checks CSRF, else None
)
def access(
    probe: Probe,
    signed: Probe | None,
    rule: AccessRule,
    url: str,
    sign_in_path: str,
    origin: str | None,
    csrf_cookie: str,
    csrf_header: str,
) -> CheckResult:
    """``probe`` is anonymous; ``signed`` is the monitor's session, needed only where ``rule.csrf``."""
    path = f"{rule.method} {rule.path}"
    pair = secrets.token_urlsafe(12)
    same_site: dict[str, str | None] = {"Content-Type": "application/json"}
    if origin:
        same_site["Origin"] = origin
    if csrf_cookie and csrf_header:
        same_site |= {"Cookie": f"{csrf_cookie}={pair}", csrf_header: pair}
    sends: list[tuple[Probe, str, str, dict[str, str | None]]] = [
        (probe, "an anonymous request", "sign-in", same_site),
        (
            probe,
            "a forged bearer token",
            "bearer token check",
            {**same_site, "Authorization": f"Bearer {forged_bearer()}"},
        ),
    ]
    if rule.csrf:
        if signed is None:
            return inconclusive(
                "access",
                rule.service,
                url=url,
                path=path,
                why="the rule says the route checks CSRF, which only a signed-in probe can see: "
                "set [auth] in the profile",
            )
        sends.append(
            (
                signed,
                f"a signed-in request from a foreign Origin ({FOREIGN_ORIGIN})",
                "CSRF",
                {"Content-Type": "application/json", "Origin": FOREIGN_ORIGIN},
            )
        )
        if csrf_cookie and csrf_header:
            sends += [
                (
                    signed,
                    f"a signed-in request whose {csrf_cookie} cookie and {csrf_header} header differ",
                    "CSRF",
                    {"Content-Type": "application/json", csrf_header: "mismatched-" + secrets.token_urlsafe(8)},
                ),
                (
                    signed,
                    f"a signed-in request with the {csrf_cookie} cookie and no {csrf_header} header",
                    "CSRF",
                    {"Content-Type": "application/json", csrf_header: None},
                ),
            ]
    body = json.dumps(rule.json_body).encode()
    trials: list[Trial] = []
    for sender, label, gate, headers in sends:
        exchange = sender.request(rule.method, url, content=body, headers=headers)
        if exchange.response is None:
            return unreachable("access", rule.service, sender, exchange, path=path)
        response = exchange.response
        trials.append(
            Trial(
                label,
                gate,
                response.status_code,
                response.text,
                response.headers.get("location", ""),
                signed_in=sender is signed,
            )
        )
    judgement = judge_access(trials, sign_in_path)
    details = {"refused": judgement.refused, "unreached": judgement.unreached}
    if not judgement.problems and judgement.unreached:
        return inconclusive(
            "access", rule.service, url=url, path=path, details=details, why="; ".join(judgement.unreached)
        )
    category = Category.ACCESS if judgement.open or judgement.leaks else Category.HTTP_STATUS
    return judged(
        "access",
        rule.service,
        category=category,
        problems=judgement.problems,
        url=url,
        path=path,
        details=details,
        ok_message=f"{path} refused {'; '.join(judgement.refused)}",
    )
