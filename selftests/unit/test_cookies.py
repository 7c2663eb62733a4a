"""Cookies are judged where they exist (and HSTS only over https): a listed page that sets none is the profile's problem
(inconclusive, with the fix), and the session cookies a profile names are judged as the browser
holds them after signing in, whichever answer set them."""

import httpx
import pytest

from monitor.analysers.cookies import judge_browser_cookies
from monitor.analysers.headers import HeaderPolicy
from monitor.checks import security
from monitor.probe import NetworkSettings, Probe
from monitor.results import Category, Verdict

URL = "https://fe.test/sign-in"


def page(*set_cookies: str) -> Probe:
    answer = httpx.Response(200, html="<h1>Sign in</h1>", headers=[("Set-Cookie", c) for c in set_cookies])
    return Probe(NetworkSettings(target="t", retries=0), transport=httpx.MockTransport(lambda request: answer))


def test_a_listed_page_that_sets_no_cookie_is_inconclusive_and_says_how_to_fix_the_profile():
    result = security.cookies(page(), "frontend", URL, ["sb-access-token"])
    assert (result.verdict, result.category) == (Verdict.ERROR, Category.MONITOR)
    assert "/sign-in answered 200 and sets no cookie: list pages that do" in result.message
    assert "name the session cookies (session_cookies)" in result.message


def test_a_page_that_sets_cookies_is_judged():
    assert security.cookies(page("a=1; Secure; HttpOnly; SameSite=Lax"), "frontend", URL, ["a"]).verdict is Verdict.PASS
    result = security.cookies(page("a=1; Path=/"), "frontend", URL, ["a"])
    assert (result.verdict, result.category) == (Verdict.FAIL, Category.COOKIE)
    assert "cookie a lacks Secure" in result.message


def browser_cookie(name, secure=True, http_only=True, same_site="Lax"):
    return {
        "name": name,
        "value": "v",
        "domain": "fe.test",
        "path": "/",
        "secure": secure,
        "httpOnly": http_only,
        "sameSite": same_site,
    }


@pytest.mark.parametrize(
    "cookie,problem",
    [
        (browser_cookie("sid"), None),
        (browser_cookie("sid", http_only=False), "session cookie sid lacks HttpOnly"),
        (browser_cookie("sid", secure=False), "session cookie sid lacks Secure"),
        (browser_cookie("sid", secure=False, same_site="None"), "session cookie sid has SameSite=None without Secure"),
    ],
)
def test_named_session_cookies_in_the_browser(cookie, problem):
    problems, found = judge_browser_cookies([cookie, browser_cookie("theme", http_only=False)], ["sid"])
    assert found == ["sid"]
    assert any(p.startswith(problem) for p in problems) if problem else problems == []


def test_a_session_kept_in_storage_leaves_no_cookie_to_judge():
    assert judge_browser_cookies([browser_cookie("sidebar", http_only=False)], ["sb-access-token"]) == ([], [])


def test_hsts_is_not_judged_on_a_plain_http_service_and_the_profile_gets_a_note():
    answer = httpx.Response(200, json={"status": "ok"}, headers={"X-Content-Type-Options": "nosniff"})
    probe = Probe(NetworkSettings(target="t", retries=0), transport=httpx.MockTransport(lambda request: answer))
    policy = HeaderPolicy(required=("x-content-type-options", "strict-transport-security"))
    over_http = security.headers(probe, "mcp", "http://mcp.test/healthz", policy)
    assert (
        over_http.verdict is Verdict.PASS and "profile note: strict-transport-security not judged" in over_http.message
    )
    over_https = security.headers(probe, "mcp", "https://mcp.test/healthz", policy)
    assert over_https.verdict is Verdict.FAIL and "strict-transport-security missing" in over_https.message
