"""Find server secrets in what the frontend ships to every browser, and mask them for reports."""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

PATTERNS = (
    ("Stripe secret key", re.compile(r"\bsk_(?:live|test)_[0-9A-Za-z]{10,}")),
    ("Stripe restricted key", re.compile(r"\brk_(?:live|test)_[0-9A-Za-z]{10,}")),
    ("Stripe webhook secret", re.compile(r"\bwhsec_[0-9A-Za-z+/=]{10,}")),
    ("OpenAI API key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}")),
    ("private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")),
)
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Leak:
    kind: str
    masked: str
    where: str

    def describe(self) -> str:
        return f"{self.kind} {self.masked} in {self.where}"


def mask(secret: str) -> str:
    """Enough to recognise which key it is, never enough to use it."""
    prefix = secret[: secret.find("_", 3) + 1] if secret.startswith(("sk_", "rk_")) else secret[:6]
    return f"{prefix}…({len(secret)} chars)"


def jwt_claims(token: str) -> dict | None:
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, IndexError):
        return None
    return data if isinstance(data, dict) else None


def _where(source: str, text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{source}:{line}:{column}"


def find_leaks(text: str, source: str) -> list[Leak]:
    leaks = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            shown = match.group(0) if kind == "private key" else mask(match.group(0))
            leaks.append(Leak(kind, shown, _where(source, text, match.start())))
    for match in JWT.finditer(text):
        claims = jwt_claims(match.group(0))
        if claims and claims.get("role") == "service_role":
            leaks.append(Leak("Supabase service_role JWT", f"eyJ…(role=service_role, {len(match.group(0))} chars)",
                              _where(source, text, match.start())))
    return leaks


SCRIPT_SRC = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
SOURCE_MAP = re.compile(r"//[#@]\s*sourceMappingURL=(\S+)")


def script_sources(html: str) -> list[str]:
    return SCRIPT_SRC.findall(html)


def source_map_url(script: str) -> str | None:
    found = SOURCE_MAP.findall(script)
    return found[-1] if found and not found[-1].startswith("data:") else None
