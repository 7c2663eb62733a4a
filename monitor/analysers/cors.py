"""Which origins should a CORS policy refuse, and what do a deployment's answers say about them?

A CORS probe asks every origin twice: a preflight (``OPTIONS``) and the actual request with the
route's own method. Browsers enforce both, and deployments often answer them from different
places (a middleware for preflights, a route wrapper for requests), so the two allow-lists can
drift apart. :func:`judge_cors` groups what it saw by root cause: one finding per class of
problem, naming the origins it affects, so one misconfiguration reads as one line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# An actual request answered with these never reached the route's CORS handling: the path or
# the method is wrong, so the answer says nothing about the route's allow-list.
NOT_REACHED = frozenset({404, 405})
SHOWN_ORIGINS = 4  # spelled out in a finding's line; all of them go to the result's details


def hostile_origins(allowed: list[str]) -> list[tuple[str, str]]:
    """Origins an attacker can own that a sloppy matcher (prefix, suffix, regex with an unescaped
    dot, "any subdomain", scheme-blind) would accept, derived from the allowed list."""
    candidates: list[tuple[str, str]] = [("arbitrary site", "https://evil.example"), ("null origin", "null")]
    for origin in allowed:
        parts = urlsplit(origin)
        host, scheme = parts.hostname or "", parts.scheme
        port = f":{parts.port}" if parts.port else ""
        candidates += [
            (f"{host} as a prefix", f"{scheme}://{host}.evil.example{port}"),
            (f"{host} as a suffix", f"{scheme}://evil{host}{port}"),
            (f"untrusted subdomain of {host}", f"{scheme}://evil.{host}{port}"),
            (f"another port on {host}", f"{scheme}://{host}:{(parts.port or 443) + 1}"),
        ]
        if "." in host:
            candidates.append((f"{host} with an unescaped dot", f"{scheme}://{host.replace('.', 'x', 1)}{port}"))
        if scheme == "https":
            candidates.append((f"http downgrade of {host}", f"http://{host}{port}"))
    seen: set[str] = set(allowed)
    unique = []
    for label, origin in candidates:
        if origin not in seen:
            seen.add(origin)
            unique.append((label, origin))
    return unique


@dataclass(frozen=True)
class Answer:
    """One response, reduced to what CORS is about."""

    status: int
    headers: Mapping[str, str]  # lower-case names

    @classmethod
    def of(cls, status: int, headers: Mapping[str, str]) -> Answer:
        return cls(status, {name.lower(): value for name, value in headers.items()})

    @property
    def allow_origin(self) -> str | None:
        return self.headers.get("access-control-allow-origin")

    @property
    def credentials(self) -> bool:
        return self.headers.get("access-control-allow-credentials", "").strip().lower() == "true"

    def listed(self, name: str) -> set[str]:
        return {token.strip().lower() for token in self.headers.get(name, "").split(",") if token.strip()}

    def grants(self, origin: str) -> str | None:
        """How this answer's headers let a page from ``origin`` read it: "echo", "*" (which a
        browser ignores for a credentialed request), or None."""
        if self.allow_origin == origin:
            return "echo"
        if self.allow_origin == "*":
            return "*"
        return None


@dataclass(frozen=True)
class Trial:
    """An origin's preflight and actual request. ``hostile`` says why an attacker can own the
    origin; ``None`` marks an origin the profile allows."""

    origin: str
    preflight: Answer
    request: Answer
    hostile: str | None = None

    @property
    def shown(self) -> str:
        return f"{self.origin} ({self.hostile})" if self.hostile else self.origin

    @property
    def preflight_grants(self) -> str | None:
        """A browser refuses a preflight that is not 2xx, whatever its headers say."""
        return self.preflight.grants(self.origin) if 200 <= self.preflight.status < 300 else None

    @property
    def request_grants(self) -> str | None:
        """A 403 to an origin an attacker can own is the route refusing it before its handler runs
        (the real frontend's wrapper): as good as an answer without Access-Control-Allow-Origin.
        For an allowed origin the headers decide: a 403 that carries them came from behind CORS."""
        if self.hostile and self.request.status == 403:
            return None
        return self.request.grants(self.origin)


@dataclass
class Finding:
    """One class of problem and every origin it affects; ``rank`` orders findings worst first
    (origins an attacker can own, then wildcards, then allowed origins, then missing details)."""

    problem: str
    rank: int
    origins: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.origins:
            return self.problem
        shown = ", ".join(self.origins[:SHOWN_ORIGINS])
        if len(self.origins) > SHOWN_ORIGINS:
            shown += f" and {len(self.origins) - SHOWN_ORIGINS} more"
        return f"{self.problem}: {shown}"


def not_reached(request: Answer) -> bool:
    return request.status in NOT_REACHED


def judge_cors(
    trials: list[Trial], *, method: str, request_headers: tuple[str, ...] = (), credentials: bool = True
) -> list[Finding]:
    """Group every problem the trials show by its cause. ``request_headers`` are the headers
    outside CORS's safelist that the actual request sends (its preflight must allow them; the
    method needs no such grant, as the check only sends methods browsers never ask about)."""
    findings: dict[str, Finding] = {}

    def add(rank: int, problem: str, origin: str) -> None:
        findings.setdefault(problem, Finding(problem, rank)).origins.append(origin)

    wildcard_kinds: list[str] = []
    for trial in trials:
        for kind, answer in (("preflights", trial.preflight), (f"{method} requests", trial.request)):
            if answer.allow_origin == "*" and answer.credentials and kind not in wildcard_kinds:
                wildcard_kinds.append(kind)
        if trial.hostile:
            _judge_hostile(trial, method, add)
        else:
            _judge_allowed(trial, method, request_headers, credentials, add)
    if wildcard_kinds:
        problem = (
            "Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true on "
            + " and ".join(wildcard_kinds)
        )
        findings[problem] = Finding(problem, 1)
    return sorted(findings.values(), key=lambda finding: finding.rank)


Add = Callable[[int, str, str], None]


def _judge_hostile(trial: Trial, method: str, add: Add) -> None:
    pre, req = trial.preflight_grants, trial.request_grants
    how = "echoes them" if "echo" in (pre, req) else "is *"
    if pre and req:
        add(
            0,
            f"origins an attacker can own are allowed on preflights and {method} requests "
            f"(Access-Control-Allow-Origin {how})",
            trial.shown,
        )
    elif req:
        add(
            0,
            f"{method} requests from origins an attacker can own are allowed (Access-Control-Allow-Origin {how}) "
            "though the preflight refuses them (the route's allow-list is not the preflight's)",
            trial.shown,
        )
    elif pre:
        add(
            0,
            f"preflights from origins an attacker can own are allowed (Access-Control-Allow-Origin {how}) "
            f"though the {method} request is refused (the preflight's allow-list is not the route's)",
            trial.shown,
        )


def _judge_allowed(trial: Trial, method: str, request_headers: tuple[str, ...], credentials: bool, add: Add) -> None:
    origin, pre, req = trial.origin, trial.preflight, trial.request
    wildcard_ok = not credentials  # a browser ignores * for a credentialed request
    granted = {"preflight": trial.preflight_grants, "request": trial.request_grants}
    if credentials and "*" in granted.values():
        kinds = " and ".join(kind + "s" for kind, how in granted.items() if how == "*")
        add(
            2,
            f"{kinds} from allowed origins answered Access-Control-Allow-Origin: * instead of the origin, "
            "which browsers refuse for credentialed requests",
            origin,
        )
    pre_ok = granted["preflight"] == "echo" or (wildcard_ok and granted["preflight"] == "*")
    req_ok = granted["request"] == "echo" or (wildcard_ok and granted["request"] == "*")
    if pre_ok and granted["request"] is None:
        add(
            2,
            f"preflight and route allow-lists differ: the preflight allows these listed origins, their {method} "
            "request is refused (its status)",
            f"{origin} ({req.status})",
        )
    elif req_ok and granted["preflight"] is None:
        add(
            2,
            f"preflight and route allow-lists differ: the {method} request allows these listed origins, their "
            "preflight is refused (its status)",
            f"{origin} ({pre.status})",
        )
    elif granted["preflight"] is None and granted["request"] is None:
        add(
            2,
            f"origins the profile lists as allowed are refused on preflights and {method} requests (the deployment "
            "does not allow them, or the profile's list is wrong; statuses)",
            f"{origin} ({pre.status}, {req.status})",
        )
    if granted["preflight"] == "echo":
        allowed_headers = pre.listed("access-control-allow-headers")
        missing = [
            h
            for h in request_headers
            if h.lower() not in allowed_headers and not (wildcard_ok and "*" in allowed_headers)
        ]
        if missing:
            add(
                3,
                f"preflights from allowed origins do not allow the {', '.join(missing)} header "
                f"(Access-Control-Allow-Headers: {pre.headers.get('access-control-allow-headers', 'absent')})",
                origin,
            )
    for kind, answer, how in (
        ("preflights", pre, granted["preflight"]),
        (f"{method} requests", req, granted["request"]),
    ):
        if how != "echo":
            continue
        if credentials and not answer.credentials:
            add(3, f"{kind} from allowed origins lack Access-Control-Allow-Credentials: true", origin)
        if not answer.listed("vary") & {"origin", "*"}:
            add(
                3,
                f"{kind} from allowed origins lack Vary: Origin, so caches can serve one origin's answer to another",
                origin,
            )
