"""Judge Set-Cookie attributes: Secure always over https, SameSite always, HttpOnly on session cookies."""
from __future__ import annotations


def judge_set_cookie(header: str, session_names: list[str]) -> list[str]:
    name = header.split("=", 1)[0].strip()
    attributes = {part.split("=", 1)[0].strip().lower(): part.split("=", 1)[1].strip() if "=" in part else ""
                  for part in header.split(";")[1:] if part.strip()}
    problems = []
    if "secure" not in attributes:
        problems.append(f"cookie {name} lacks Secure (it would travel over plain http)")
    if "samesite" not in attributes:
        problems.append(f"cookie {name} lacks SameSite")
    elif attributes["samesite"].lower() == "none" and "secure" not in attributes:
        problems.append(f"cookie {name} has SameSite=None without Secure")
    if name in session_names and "httponly" not in attributes:
        problems.append(f"session cookie {name} lacks HttpOnly (page scripts can read it)")
    return problems
