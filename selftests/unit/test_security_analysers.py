from datetime import UTC, datetime

import pytest

from monitor.analysers.cookies import judge_set_cookie
from monitor.analysers.cors import Answer, Trial, hostile_origins, judge_cors, not_reached
from monitor.analysers.errors import error_leaks
from monitor.analysers.headers import HSTS_OVER_HTTP, HeaderPolicy, grade_headers, parse_hsts, version_disclosure
from monitor.analysers.ratelimit import LimitFields, judge_fields, parse_limit_fields, parse_retry_after
from monitor.analysers.secrets import find_leaks, jwt_claims, mask, script_sources, source_map_url
from slurpy_sandbox.apps import CONFIG_HEADERS, PLANTED, PUBLIC_CONFIG, middleware_headers

REAL = list(middleware_headers("dGhlLW5vbmNlLW9mLXRoaXM=").items())  # what the real app's middleware sends


def replaced(name, value, headers=REAL):
    return [(k, value if k == name else v) for k, v in headers]


# -- headers ---------------------------------------------------------------------------------
def test_the_real_apps_headers_earn_an_a_plus():
    report = grade_headers(REAL, HeaderPolicy(hsts_include_subdomains=True, hsts_preload=True))
    assert report.ok and report.score == 100 and report.grade == "A+"
    assert "x-xss-protection: 1; mode=block" in report.notes


def test_the_real_csp_is_judged_right():
    csp = dict(REAL)["Content-Security-Policy"]
    # a nonce in script-src, 'unsafe-inline' in style-src, frame-ancestors 'none' instead of X-Frame-Options
    assert "'nonce-" in csp and "style-src 'self' 'unsafe-inline'" in csp and "frame-ancestors 'none'" in csp
    assert grade_headers([(k, v) for k, v in REAL if k != "X-Frame-Options"], HeaderPolicy()).ok


@pytest.mark.parametrize(
    "name,value",
    [
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"),
        *[
            ("Referrer-Policy", value)
            for value in (
                "origin-when-cross-origin",
                "same-origin",
                "no-referrer",
                "strict-origin",
                "no-referrer, strict-origin-when-cross-origin",
            )
        ],
        (
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'nonce-abc' 'strict-dynamic' 'unsafe-inline' "
            "https:; frame-ancestors 'self'",
        ),
        ("Content-Security-Policy", "script-src 'self' 'sha256-abc='; frame-ancestors https://partner.example"),
    ],
)
def test_other_healthy_values_pass(name, value):
    assert grade_headers(replaced(name, value), HeaderPolicy(hsts_include_subdomains=True, hsts_preload=True)).ok


def test_what_preflights_and_redirects_get_is_the_guides_policy():
    """next.config's headers alone: acceptable values, only CSP and Permissions-Policy absent."""
    report = grade_headers(CONFIG_HEADERS.items(), HeaderPolicy(hsts_include_subdomains=True, hsts_preload=True))
    assert report.problems == ["permissions-policy missing", "content-security-policy missing"]


@pytest.mark.parametrize(
    "change,problem",
    [
        ({"Strict-Transport-Security": "max-age=86400"}, "max-age is 86400, policy wants >= 15552000"),
        ({"Strict-Transport-Security": "max-age=abc"}, "max-age is None"),
        ({"X-Frame-Options": "ALLOW-FROM https://x"}, "policy wants DENY or SAMEORIGIN"),
        ({"X-Content-Type-Options": "sniff"}, "policy wants nosniff"),
        ({"Referrer-Policy": "unsafe-url"}, "leaks full URLs cross-origin"),
        ({"Referrer-Policy": "no-referrer-when-downgrade"}, "leaks full URLs cross-origin"),
        (
            {"Content-Security-Policy": "script-src 'self' 'unsafe-inline'; frame-ancestors 'self'"},
            "allows 'unsafe-inline'",
        ),
        (
            {"Content-Security-Policy": "default-src 'self' 'unsafe-eval'; frame-ancestors 'none'"},
            "allows 'unsafe-eval'",
        ),
        (
            {
                "Content-Security-Policy": "script-src 'self' 'nonce-abc' 'unsafe-inline' 'unsafe-eval'; "
                "frame-ancestors 'none'"
            },
            "script-src allows 'unsafe-eval':",
        ),
        ({"Content-Security-Policy": "script-src 'self'"}, "no frame-ancestors"),
        ({"Content-Security-Policy": "script-src 'self'; frame-ancestors *"}, "frame-ancestors * lets any site frame"),
    ],
)
def test_each_policy_breach_is_named(change, problem):
    headers = [(k, change.get(k, v)) for k, v in REAL]
    report = grade_headers(headers, HeaderPolicy())
    assert any(problem in p for p in report.problems), report.problems
    assert report.score < 100


def test_unsafe_inline_next_to_a_nonce_is_ignored_by_browsers_and_noted():
    report = grade_headers(
        replaced("Content-Security-Policy", "script-src 'nonce-abc' 'unsafe-inline'; frame-ancestors 'none'"),
        HeaderPolicy(),
    )
    assert report.ok and any("ignored next to its nonce" in note for note in report.notes)


def test_missing_headers_and_grade():
    report = grade_headers([], HeaderPolicy())
    assert len(report.problems) == 6
    assert report.score == 20 and report.grade == "F"


def test_duplicate_with_different_values_fails_same_value_does_not():
    assert (
        "sent 2 times with different values"
        in grade_headers(REAL + [("x-frame-options", "SAMEORIGIN")], HeaderPolicy()).problems[0]
    )
    assert grade_headers(REAL + [("X-Frame-Options", "DENY")], HeaderPolicy()).ok


def test_profile_may_require_hsts_flags_and_relax_csp():
    bare = replaced("Strict-Transport-Security", "max-age=63072000")
    assert "lacks includesubdomains" in " ".join(
        grade_headers(bare, HeaderPolicy(hsts_include_subdomains=True)).problems
    )
    unsafe = replaced("Content-Security-Policy", "script-src 'unsafe-inline'; frame-ancestors 'self'")
    assert grade_headers(unsafe, HeaderPolicy(csp_allow_unsafe=True)).ok


def test_hsts_is_judged_on_https_answers_only_and_a_profile_requiring_it_over_http_gets_a_note():
    without = [(k, v) for k, v in REAL if k != "Strict-Transport-Security"]
    assert not grade_headers(without, HeaderPolicy()).ok
    over_http = grade_headers(without, HeaderPolicy(), https=False)
    assert over_http.ok and over_http.score == 100 and HSTS_OVER_HTTP in over_http.notes
    weak = replaced("Strict-Transport-Security", "max-age=60")
    assert grade_headers(weak, HeaderPolicy(), https=False).ok, "browsers ignore it there: nothing to judge"
    api = HeaderPolicy(required=("x-content-type-options",))
    assert HSTS_OVER_HTTP not in grade_headers([("X-Content-Type-Options", "nosniff")], api, https=False).notes


@pytest.mark.parametrize(
    "body,status,leak",
    [
        (
            '{"detail": "upstream http://127.0.0.1:8001/v1/chat failed: ReadTimeout(\'timed out\')"}',
            502,
            "exception text",
        ),
        ('{"detail": "upstream http://127.0.0.1:8001/v1/chat failed"}', 502, "an upstream URL"),
        ('{"error": "upstream https://api.openai.com/v1/chat failed"}', 502, "an upstream URL"),
        ('{"error": "cannot reach http://qdrant:6333"}', 400, "an upstream URL"),
        ('{"error": "cannot reach http://db.internal/x"}', 503, "an upstream URL"),
    ],
)
def test_error_bodies_that_name_their_upstream_or_exception_leak(body, status, leak):
    assert any(found.startswith(leak) for found in error_leaks(body, status)), error_leaks(body, status)


@pytest.mark.parametrize(
    "body,status",
    [
        ('{"error": "Invalid request"}', 400),
        ('{"error": "see https://docs.your-domain.com/errors#rate"}', 429),
        ('{"detail": [{"msg": "Field required", "url": "https://errors.pydantic.dev/2.9/v/missing"}]}', 422),
        ("Bad Gateway", 502),
    ],
)
def test_ordinary_error_bodies_do_not(body, status):
    assert error_leaks(body, status) == []


def test_api_subset():
    assert grade_headers([("X-Content-Type-Options", "nosniff")], HeaderPolicy(required=("x-content-type-options",))).ok


def test_parse_hsts_and_version_disclosure():
    assert parse_hsts('max-age="31536000"; includeSubDomains') == (31536000, {"includesubdomains"})
    assert version_disclosure([("Server", "nginx/1.18.0"), ("X-Powered-By", "Next.js")]) == ["server: nginx/1.18.0"]
    assert version_disclosure([("X-Powered-By", "Next.js 14.2.3")]) == ["x-powered-by: Next.js 14.2.3"]
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
    for origin in (
        "https://evil.example",
        "null",
        "https://www.your-domain.com.evil.example",
        "https://evilwww.your-domain.com",
        "https://evil.www.your-domain.com",
        "https://wwwxyour-domain.com",
        "http://www.your-domain.com",
        "https://www.your-domain.com:444",
    ):
        assert origin in hostile
    assert "https://www.your-domain.com" not in hostile


def test_hostile_origins_never_include_an_allowed_one():
    allowed = ["https://your-domain.com", "https://www.your-domain.com", "http://localhost:3000"]
    assert not {o for _, o in hostile_origins(allowed)} & set(allowed)


ALLOWED = ["https://your-domain.com", "https://www.your-domain.com", "http://localhost:3000"]


def granted(origin, status=200, **extra):
    return Answer.of(
        status,
        {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin", **extra},
    )


# What the contract says healthy deployments answer. The frontend: its middleware answers
# preflights (204, no Max-Age; 403 to other origins), its route wrapper refuses actual requests
# from other origins with 403; a sign-in-first route answers an anonymous caller 401.
def frontend_preflight(origin, allowed=ALLOWED):
    if origin in allowed:
        return granted(
            origin,
            204,
            **{
                "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS",
                "Access-Control-Allow-Headers": "content-type,authorization,x-csrf",
            },
        )
    return Answer.of(403, {"Content-Type": "application/json"})


def frontend_post(origin, allowed=ALLOWED):
    return granted(origin, 401) if origin in allowed else Answer.of(403, {"Content-Type": "application/json"})


# Starlette's CORSMiddleware (backend, MCP): allowed preflight 200 with Max-Age; another origin's
# preflight 400 "Disallowed CORS origin" (still with Allow-Credentials and Vary); a simple request
# from another origin gets its normal answer without Access-Control-Allow-Origin.
STARLETTE_PREFLIGHT = {
    "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Max-Age": "600",
    "Access-Control-Allow-Credentials": "true",
}


def starlette_preflight(origin, allowed=ALLOWED):
    if origin in allowed:
        return Answer.of(200, {**STARLETTE_PREFLIGHT, "Access-Control-Allow-Origin": origin})
    return Answer.of(400, STARLETTE_PREFLIGHT)


def starlette_get(origin, allowed=ALLOWED):
    return (
        granted(origin)
        if origin in allowed
        else Answer.of(200, {"Access-Control-Allow-Credentials": "true", "Vary": "Origin"})
    )


def trials(preflight, request, allowed=ALLOWED):
    origins = [(o, None) for o in allowed] + [(o, label) for label, o in hostile_origins(allowed)]
    return [Trial(o, preflight(o), request(o), hostile=label) for o, label in origins]


def judge(preflight, request, method="POST", allowed=ALLOWED, **kwargs):
    headers = ("content-type",) if method == "POST" else ()
    return judge_cors(trials(preflight, request, allowed), method=method, request_headers=headers, **kwargs)


def test_healthy_frontend_and_starlette_answers_pass():
    assert judge(frontend_preflight, frontend_post) == []
    assert judge(starlette_preflight, starlette_get, method="GET") == []


def test_healthy_variants_pass_too():
    only_self = ["https://your-domain.com"]
    assert (
        judge(
            lambda o: starlette_preflight(o, only_self),
            lambda o: starlette_get(o, only_self),
            method="GET",
            allowed=only_self,
        )
        == []
    )
    # A route that answers other origins normally but without CORS headers refuses them as well as a 403 does.
    assert judge(frontend_preflight, lambda o: granted(o, 400) if o in ALLOWED else Answer.of(400, {})) == []
    # A 403 refusal may even carry the origin (a proxy adds CORS headers to everything): no handler ran.
    assert judge(frontend_preflight, lambda o: granted(o, 401) if o in ALLOWED else granted(o, 403)) == []
    # Without credentials, * is how a public API allows an origin, and Allow-Headers may say *.
    public = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*", "Vary": "Origin"}
    assert (
        judge(
            lambda o: Answer.of(204, public) if o in ALLOWED else Answer.of(403, {}),
            lambda o: Answer.of(200, public) if o in ALLOWED else Answer.of(403, {}),
            credentials=False,
        )
        == []
    )


def one_line(findings):
    assert len(findings) == 1, [str(f) for f in findings]
    return findings[0]


def test_a_route_that_echoes_any_origin_is_one_finding_naming_every_hostile_origin():
    finding = one_line(judge(frontend_preflight, lambda o: granted(o, 401)))
    assert "POST requests from origins an attacker can own are allowed" in finding.problem
    assert "though the preflight refuses them" in finding.problem
    assert len(finding.origins) == len(hostile_origins(ALLOWED))
    assert str(finding).endswith(f"and {len(finding.origins) - 4} more")
    assert "https://evil.example (arbitrary site)" in str(finding)


def test_allow_lists_that_differ_are_reported_as_such_both_ways():
    route_list = ALLOWED[:2]
    finding = one_line(judge(frontend_preflight, lambda o: frontend_post(o, route_list)))
    assert finding.problem.startswith("preflight and route allow-lists differ: the preflight allows")
    assert finding.origins == ["http://localhost:3000 (403)"]
    finding = one_line(judge(lambda o: frontend_preflight(o, route_list), frontend_post))
    assert finding.problem.startswith("preflight and route allow-lists differ: the POST request allows")
    assert finding.origins == ["http://localhost:3000 (403)"]


def test_origins_a_service_does_not_allow_are_one_finding_not_one_per_request():
    mcp = ["https://your-domain.com"]  # the profile's global list probed against a service with its own
    finding = one_line(judge(lambda o: starlette_preflight(o, mcp), lambda o: starlette_get(o, mcp), method="GET"))
    assert "refused on preflights and GET requests" in finding.problem
    assert finding.origins == ["https://www.your-domain.com (400, 200)", "http://localhost:3000 (400, 200)"]


def test_reflecting_any_origin_is_one_finding():
    finding = one_line(judge(lambda o: starlette_preflight(o, [o]), lambda o: starlette_get(o, [o]), method="GET"))
    assert finding.problem.startswith("origins an attacker can own are allowed on preflights and GET requests")
    assert "echoes them" in finding.problem


def test_wildcard_with_credentials():
    star = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}
    findings = [str(f) for f in judge(lambda o: Answer.of(204, star), lambda o: Answer.of(401, star))]
    assert len(findings) == 3, findings
    assert findings[0].startswith(
        "origins an attacker can own are allowed on preflights and POST requests (Access-Control-Allow-Origin is *)"
    )
    assert "* together with Access-Control-Allow-Credentials: true on preflights and POST requests" in findings[1]
    assert findings[2].startswith(
        "preflights and requests from allowed origins answered Access-Control-Allow-Origin: *"
    )


def test_a_preflight_that_is_not_2xx_refuses_whatever_its_headers_say():
    # Starlette's answer when the method is not allowed: 400, though it names the origin.
    finding = one_line(
        judge(lambda o: Answer.of(400, {**STARLETTE_PREFLIGHT, "Access-Control-Allow-Origin": o}), frontend_post)
    )
    assert "the POST request allows these listed origins, their preflight is refused" in finding.problem
    assert finding.origins[0] == "https://your-domain.com (400)"


def test_preflight_must_allow_the_content_type_a_post_sends():
    without = lambda o: (
        granted(o, 204, **{"Access-Control-Allow-Headers": "authorization"}) if o in ALLOWED else Answer.of(403, {})
    )
    assert "do not allow the content-type header" in str(one_line(judge(without, frontend_post)))
    star = lambda o: granted(o, 204, **{"Access-Control-Allow-Headers": "*"}) if o in ALLOWED else Answer.of(403, {})
    assert "do not allow the content-type header" in str(
        one_line(judge(star, frontend_post))
    )  # * is literal with credentials


def test_missing_credentials_and_vary_name_the_kind_of_answer():
    bare = lambda o: Answer.of(401, {"Access-Control-Allow-Origin": o}) if o in ALLOWED else Answer.of(403, {})
    problems = [f.problem for f in judge(frontend_preflight, bare)]
    assert problems == [
        "POST requests from allowed origins lack Access-Control-Allow-Credentials: true",
        "POST requests from allowed origins lack Vary: Origin, so caches can serve one origin's answer to another",
    ]


def test_an_actual_request_that_never_reached_the_route():
    assert not_reached(Answer.of(405, {})) and not_reached(Answer.of(404, {}))
    assert not not_reached(Answer.of(401, {})) and not not_reached(Answer.of(403, {}))


# -- rate limits -----------------------------------------------------------------------------
NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


def test_retry_after_forms():
    assert parse_retry_after("30", NOW) == 30
    assert parse_retry_after("Fri, 27 Nov 2026 12:00:45 GMT", NOW) == 45
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


def test_limit_field_dialects():
    assert parse_limit_fields({"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0"}) == LimitFields(20, 0, None)
    assert parse_limit_fields({"RateLimit": "limit=20, remaining=3, reset=40"}) == LimitFields(20, 3, 40)
    assert parse_limit_fields(
        {"RateLimit": '"default";r=0;t=30', "RateLimit-Policy": '"default";q=20;w=60'}
    ) == LimitFields(20, 0, 30)
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
    claims = jwt_claims(PUBLIC_CONFIG["supabaseAnonKey"])
    assert claims is not None and claims["role"] == "anon"


@pytest.mark.parametrize(
    "secret,kind",
    [
        ("rk_" + "live_0123456789abcdef", "Stripe restricted key"),
        ("whsec_" + "0123456789abcdefABCDEF", "Stripe webhook secret"),
        ("sk-" + "proj-abcdefghijklmnopqrstuvwxyz012345", "OpenAI API key"),
        ("-----BEGIN " + "PRIVATE KEY-----", "private key"),
    ],
)
def test_other_secret_kinds(secret, kind):
    assert [leak.kind for leak in find_leaks(f"x={secret!r}", "/a.js")] == [kind]


def test_mask_keeps_only_a_prefix():
    assert mask("sk_" + "live_abcdefghijklmnop") == "sk_live_…(24 chars)"


def test_script_and_source_map_discovery():
    html = "<script src=\"/_next/a.js\"></script><script async src='https://cdn.example/b.js'></script><script>inline()</script>"
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
