from datetime import datetime, timezone

import pytest

from monitor.analysers.cookies import judge_set_cookie
from monitor.analysers.cors import hostile_origins, judge_allowed, judge_refused, wildcard_with_credentials
from monitor.analysers.errors import error_leaks
from monitor.analysers.headers import HeaderPolicy, grade_headers, parse_hsts, version_disclosure
from monitor.analysers.ratelimit import LimitFields, judge_fields, parse_limit_fields, parse_retry_after
from monitor.analysers.secrets import find_leaks, jwt_claims, mask, script_sources, source_map_url
from slurpy_sandbox.apps import PLANTED, PUBLIC_CONFIG, SECURITY_HEADERS

GUIDE = list(SECURITY_HEADERS.items())


# -- headers ---------------------------------------------------------------------------------
def test_the_guides_headers_earn_an_a_plus():
    report = grade_headers(GUIDE, HeaderPolicy(hsts_include_subdomains=True, hsts_preload=True))
    assert report.ok and report.score == 100 and report.grade == "A+"
    assert "x-xss-protection: 1; mode=block" in report.notes


@pytest.mark.parametrize("change,problem", [
    ({"Strict-Transport-Security": "max-age=86400"}, "max-age is 86400, policy wants >= 15552000"),
    ({"Strict-Transport-Security": "max-age=abc"}, "max-age is None"),
    ({"X-Frame-Options": "ALLOW-FROM https://x"}, "policy wants DENY or SAMEORIGIN"),
    ({"X-Content-Type-Options": "sniff"}, "policy wants nosniff"),
    ({"Referrer-Policy": "unsafe-url"}, "leaks full URLs cross-origin"),
    ({"Content-Security-Policy": "script-src 'self' 'unsafe-inline'; frame-ancestors 'self'"}, "allows 'unsafe-inline'"),
    ({"Content-Security-Policy": "default-src 'self' 'unsafe-eval'; frame-ancestors 'none'"}, "allows 'unsafe-eval'"),
    ({"Content-Security-Policy": "script-src 'self'"}, "no frame-ancestors"),
])
def test_each_policy_breach_is_named(change, problem):
    headers = [(k, change.get(k, v)) for k, v in GUIDE]
    report = grade_headers(headers, HeaderPolicy())
    assert any(problem in p for p in report.problems), report.problems
    assert report.score < 100


def test_missing_headers_and_grade():
    report = grade_headers([], HeaderPolicy())
    assert len(report.problems) == 6
    assert report.score == 20 and report.grade == "F"


def test_frame_ancestors_stands_in_for_x_frame_options():
    headers = [(k, v) for k, v in GUIDE if k != "X-Frame-Options"]
    assert grade_headers(headers, HeaderPolicy()).ok


def test_duplicate_with_different_values_fails_same_value_does_not():
    assert "sent 2 times with different values" in grade_headers(GUIDE + [("x-frame-options", "DENY")], HeaderPolicy()).problems[0]
    assert grade_headers(GUIDE + [("X-Frame-Options", "SAMEORIGIN")], HeaderPolicy()).ok


def test_profile_may_require_hsts_flags_and_relax_csp():
    bare = [(k, "max-age=63072000" if k == "Strict-Transport-Security" else v) for k, v in GUIDE]
    assert "lacks includesubdomains" in " ".join(grade_headers(bare, HeaderPolicy(hsts_include_subdomains=True)).problems)
    unsafe = [(k, "script-src 'unsafe-inline'; frame-ancestors 'self'" if k == "Content-Security-Policy" else v) for k, v in GUIDE]
    assert grade_headers(unsafe, HeaderPolicy(csp_allow_unsafe=True)).ok


def test_api_subset():
    assert grade_headers([("X-Content-Type-Options", "nosniff")], HeaderPolicy(required=("x-content-type-options",))).ok


def test_parse_hsts_and_version_disclosure():
    assert parse_hsts('max-age="31536000"; includeSubDomains') == (31536000, {"includesubdomains"})
    assert version_disclosure([("Server", "nginx/1.18.0"), ("X-Powered-By", "Next.js")]) == ["server: nginx/1.18.0"]
    assert version_disclosure([("Server", "Vercel")]) == []


# -- cookies -------------------------------------------------------------------------------
def test_cookie_attributes():
    assert judge_set_cookie("sid=1; Path=/; Secure; HttpOnly; SameSite=Lax", ["sid"]) == []
    problems = judge_set_cookie("sid=1; Path=/", ["sid"])
    assert [p.split(" lacks ")[1].split(" ")[0] for p in problems] == ["Secure", "SameSite", "HttpOnly"]
    assert judge_set_cookie("theme=dark; Secure; SameSite=Lax", ["sid"]) == []


# -- CORS ----------------------------------------------------------------------------------
def test_hostile_origins_cover_sloppy_matchers():
    hostile = dict((o, label) for label, o in hostile_origins(["https://www.your-domain.com"]))
    for origin in ("https://evil.example", "null", "https://www.your-domain.com.evil.example",
                   "https://evilwww.your-domain.com", "https://evil.www.your-domain.com",
                   "https://wwwxyour-domain.com", "http://www.your-domain.com", "https://www.your-domain.com:444"):
        assert origin in hostile
    assert "https://www.your-domain.com" not in hostile


def test_hostile_origins_never_include_an_allowed_one():
    allowed = ["https://your-domain.com", "https://www.your-domain.com", "http://localhost:3000"]
    assert not {o for _, o in hostile_origins(allowed)} & set(allowed)


def test_cors_answers():
    good = {"Access-Control-Allow-Origin": "https://a.example", "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
    assert judge_allowed("https://a.example", 204, good, credentials=True, preflight=True) == []
    no_vary = {k: v for k, v in good.items() if k != "Vary"}
    assert "no Vary: Origin" in judge_allowed("https://a.example", 200, no_vary, credentials=True, preflight=False)[0]
    assert judge_refused("arbitrary", "https://evil.example", {}, preflight=True) == []
    assert judge_refused("arbitrary", "https://evil.example", {"Access-Control-Allow-Origin": "https://evil.example"}, preflight=False)
    assert judge_refused("arbitrary", "https://evil.example", {"access-control-allow-origin": "*"}, preflight=True)
    assert wildcard_with_credentials({"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"})


# -- rate limits -----------------------------------------------------------------------------
NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)


def test_retry_after_forms():
    assert parse_retry_after("30", NOW) == 30
    assert parse_retry_after("Fri, 27 Nov 2026 12:00:45 GMT", NOW) == 45
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


def test_limit_field_dialects():
    assert parse_limit_fields({"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0"}) == LimitFields(20, 0, None)
    assert parse_limit_fields({"RateLimit": "limit=20, remaining=3, reset=40"}) == LimitFields(20, 3, 40)
    assert parse_limit_fields({"RateLimit": '"default";r=0;t=30', "RateLimit-Policy": '"default";q=20;w=60'}) == LimitFields(20, 0, 30)
    assert not parse_limit_fields({}).present


def test_advertised_fields_must_match_what_happened():
    consistent = [LimitFields(2, 1), LimitFields(2, 0), LimitFields(2, 0)]
    assert judge_fields(consistent, 2) == []
    assert "advertise a limit of 5" in judge_fields([LimitFields(5, 4), LimitFields(5, 0)], 2)[0]
    assert "went up" in judge_fields([LimitFields(2, 0), LimitFields(2, 1), LimitFields(2, 0)], 2)[0]
    assert "1 requests remain" in judge_fields([LimitFields(2, 1)], 2)[0]
    assert judge_fields([LimitFields(), LimitFields()], 2) == []


# -- secrets -------------------------------------------------------------------------------
def test_planted_secrets_are_found_and_masked():
    text = f"const a='{PLANTED['stripe']}';\nconst b='{PLANTED['service_role']}';"
    leaks = find_leaks(text, "/app.js")
    assert [leak.kind for leak in leaks] == ["Stripe secret key", "Supabase service_role JWT"]
    assert leaks[0].where == "/app.js:1:10" and leaks[1].where == "/app.js:2:10"
    for leak in leaks:
        for secret in PLANTED.values():
            assert secret not in leak.describe()


def test_public_keys_are_allowed():
    assert find_leaks(str(PUBLIC_CONFIG), "/app.js") == []
    assert jwt_claims(PUBLIC_CONFIG["supabaseAnonKey"])["role"] == "anon"


@pytest.mark.parametrize("secret,kind", [
    ("rk_" + "live_0123456789abcdef", "Stripe restricted key"),
    ("whsec_" + "0123456789abcdefABCDEF", "Stripe webhook secret"),
    ("sk-" + "proj-abcdefghijklmnopqrstuvwxyz012345", "OpenAI API key"),
    ("-----BEGIN " + "PRIVATE KEY-----", "private key"),
])
def test_other_secret_kinds(secret, kind):
    assert [leak.kind for leak in find_leaks(f"x={secret!r}", "/a.js")] == [kind]


def test_mask_keeps_only_a_prefix():
    assert mask("sk_" + "live_abcdefghijklmnop") == "sk_live_…(24 chars)"


def test_script_and_source_map_discovery():
    html = '<script src="/_next/a.js"></script><script async src=\'https://cdn.example/b.js\'></script><script>inline()</script>'
    assert script_sources(html) == ["/_next/a.js", "https://cdn.example/b.js"]
    assert source_map_url("x()\n//# sourceMappingURL=a.js.map\n") == "a.js.map"
    assert source_map_url("//# sourceMappingURL=data:application/json;base64,e30=") is None


# -- error bodies ----------------------------------------------------------------------------
def test_error_leaks():
    trace = 'Traceback (most recent call last):\n  File "/app/main.py", line 3, in f\nValueError: bad'
    kinds = [leak.split(" (")[0] for leak in error_leaks(trace)]
    assert kinds == ["a Python traceback", "a Python stack frame", "exception text", "a server file path"]
    assert error_leaks("    at handler (/var/task/.next/server/app.js:12:5)")
    assert error_leaks('{"error": "Bad JSON"}') == []
    assert error_leaks('{"detail": [{"loc": ["body", "message"], "msg": "Input should be a valid string"}]}') == []
