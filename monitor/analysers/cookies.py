"""Judge cookies: Secure always over https, SameSite always (None only with Secure), HttpOnly on
session cookies; from a ``Set-Cookie`` header, or as the browser holds them after signing in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def judge_set_cookie(header: str, session_names: list[str]) -> list[str]:
    name = header.split("=", 1)[0].strip()
    attributes = {
        part.split("=", 1)[0].strip().lower(): part.split("=", 1)[1].strip() if "=" in part else ""
        for part in header.split(";")[1:]
        if part.strip()
    }
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


def judge_browser_cookies(
    cookies: Iterable[Mapping[str, Any]], session_names: list[str]
) -> tuple[list[str], list[str]]:
    """The session cookies the profile names, as the browser holds them (Playwright's ``context.cookies()``:
    ``secure``, ``httpOnly``, ``sameSite``): (problems, the names found). Others are not judged here."""
    problems, found = [], []
    for cookie in cookies:
        name = cookie.get("name", "")
        if name not in session_names:
            continue
        found.append(name)
        if not cookie.get("secure"):
            problems.append(f"session cookie {name} lacks Secure (it would travel over plain http)")
        if not cookie.get("httpOnly"):
            problems.append(f"session cookie {name} lacks HttpOnly (page scripts can read it)")
        if str(cookie.get("sameSite", "")).lower() == "none" and not cookie.get("secure"):
            problems.append(f"session cookie {name} has SameSite=None without Secure")
    return problems, found
