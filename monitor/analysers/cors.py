"""Which origins should a CORS policy refuse, and did this answer refuse or allow one?"""
from __future__ import annotations

from typing import Mapping
from urllib.parse import urlsplit


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


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def judge_allowed(origin: str, status: int, headers: Mapping[str, str], *, credentials: bool, preflight: bool) -> list[str]:
    h = _lower(headers)
    kind = "preflight" if preflight else "request"
    problems = []
    if preflight and not 200 <= status < 300:
        problems.append(f"{kind} from allowed origin {origin} answered {status}, expected 2xx")
    if h.get("access-control-allow-origin") != origin:
        problems.append(f"{kind} from allowed origin {origin}: Access-Control-Allow-Origin is "
                        f"{h.get('access-control-allow-origin', 'absent')}, expected the origin echoed")
    if credentials and h.get("access-control-allow-credentials", "").lower() != "true":
        problems.append(f"{kind} from allowed origin {origin}: Access-Control-Allow-Credentials is not true")
    if "origin" not in [v.strip().lower() for v in h.get("vary", "").split(",")]:
        problems.append(f"{kind} from allowed origin {origin}: no Vary: Origin, so caches can serve one origin's answer to another")
    return problems


def judge_refused(label: str, origin: str, headers: Mapping[str, str], *, preflight: bool) -> list[str]:
    h = _lower(headers)
    acao = h.get("access-control-allow-origin")
    kind = "preflight" if preflight else "request"
    if acao == origin:
        return [f"{kind} from {origin} ({label}) was allowed: Access-Control-Allow-Origin echoes it"]
    if acao == "*":
        return [f"{kind} from {origin} ({label}) was allowed: Access-Control-Allow-Origin is *"]
    return []


def wildcard_with_credentials(headers: Mapping[str, str]) -> bool:
    h = _lower(headers)
    return h.get("access-control-allow-origin") == "*" and h.get("access-control-allow-credentials", "").lower() == "true"
