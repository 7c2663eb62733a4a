"""What a deployment shows anonymous callers that it should not: a version in its headers, and
paths the profile says must stay private."""

from __future__ import annotations

from monitor.analysers.access import redirects_to_sign_in

PRIVATE_STATUSES = (401, 403, 404)


def visibility(status: int, location: str = "", sign_in_path: str | None = None) -> str:
    """``public`` (2xx), ``private`` (401/403/404, or a redirect to the sign-in page, as Next.js
    middleware answers a protected path) or ``unknown``: a 5xx, another redirect or a 405 says
    nothing about who may read the path, so it must be reported rather than passed."""
    if 200 <= status < 300:
        return "public"
    if sign_in_path is not None and redirects_to_sign_in(status, location, sign_in_path):
        return "private"
    return "private" if status in PRIVATE_STATUSES else "unknown"


def judge_exposure(disclosed: list[str], public: list[str], unknown: list[str], *, allow_version: bool) -> list[str]:
    """``public`` and ``unknown`` hold ``"<path> (<what it answered>)"``, one per private path."""
    problems = []
    if disclosed and not allow_version:
        problems.append(f"version disclosed in {', '.join(disclosed)}")
    if public:
        problems.append(
            f"public to anonymous callers: {', '.join(public)}; the profile lists "
            f"{'it' if len(public) == 1 else 'them'} under private_paths"
        )
    problems += [
        f"cannot tell whether {answer} is public: expected "
        f"{', '.join(map(str, PRIVATE_STATUSES[:-1]))} or {PRIVATE_STATUSES[-1]}"
        for answer in unknown
    ]
    return problems
