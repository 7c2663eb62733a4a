"""Security checks: headers, HTTPS redirect, cookies, CORS, rate limits, input validation, leaked
secrets and exposure. Each returns a CheckResult; analysers do the judging."""
from __future__ import annotations

import json
from urllib.parse import urljoin, urlsplit

from monitor.analysers.cookies import judge_set_cookie
from monitor.analysers.cors import hostile_origins, judge_allowed, judge_refused, wildcard_with_credentials
from monitor.analysers.errors import error_leaks
from monitor.analysers.headers import HeaderPolicy, grade_headers, version_disclosure
from monitor.analysers.ratelimit import judge_fields, parse_limit_fields, parse_retry_after
from monitor.analysers.secrets import find_leaks, script_sources, source_map_url
from monitor.checks.common import result, unreachable
from monitor.probe import Exchange, Probe
from monitor.profile import RateLimitRule, ValidationRule
from monitor.results import Category, CheckResult, Verdict, utc_now


MAX_SHOWN = 5  # problems spelled out in the one-line message; all of them go to the results file


def _verdict(check: str, service: str, probe: Probe, category: Category, problems: list[str], ok_message: str,
             **fields) -> CheckResult:
    url = fields.get("url", "")
    if problems:
        shown = "; ".join(problems[:MAX_SHOWN])
        if len(problems) > MAX_SHOWN:
            shown += f"; and {len(problems) - MAX_SHOWN} more (see details.problems in the results file)"
        fields.setdefault("details", {})["problems"] = problems
        return result(check, service, probe, verdict=Verdict.FAIL, category=category,
                      message=f"{service} {check} FAILED [{category}]: {url}: {shown}", **fields)
    return result(check, service, probe, verdict=Verdict.PASS, message=f"{service} {check} ok: {url}: {ok_message}", **fields)


def _get(probe: Probe, check: str, service: str, url: str, path: str = "", **kwargs) -> tuple[Exchange, CheckResult | None]:
    exchange = probe.request(kwargs.pop("method", "GET"), url, **kwargs)
    if exchange.response is None:
        return exchange, unreachable(check, service, probe, exchange, path=path)
    return exchange, None


def headers(probe: Probe, service: str, path: str) -> CheckResult:
    spec, rules = probe.profile.services[service], probe.profile.security
    url = spec.url(path)
    exchange, failed = _get(probe, "headers", service, url, path)
    if failed:
        return failed
    policy = HeaderPolicy(tuple(spec.security.required_headers), rules.hsts_min_age, rules.hsts_include_subdomains,
                          rules.hsts_preload, rules.csp_allow_unsafe)
    report = grade_headers(exchange.response.headers.multi_items(), policy)
    return _verdict("headers", service, probe, Category.HEADERS, report.problems,
                    f"grade {report.grade} (score {report.score})", path=path, url=url,
                    details={"score": report.score, "grade": report.grade, "notes": report.notes})


def https_redirect(probe: Probe, service: str) -> CheckResult:
    spec = probe.profile.services[service]
    url = spec.security.http_url.rstrip("/") + "/"
    exchange, failed = _get(probe, "https_redirect", service, url)
    if failed:
        return failed
    response = exchange.response
    location = response.headers.get("location", "")
    target = urlsplit(urljoin(url, location))
    problems = []
    if response.status_code not in (301, 308):
        problems.append(f"expected a 301/308 redirect to https, got {response.status_code}"
                        + (f" to {location}" if location else " serving content over plain http"))
    elif target.scheme != "https" or target.hostname != urlsplit(url).hostname:
        problems.append(f"redirects to {location}, expected https:// on the same host")
    return _verdict("https_redirect", service, probe, Category.REDIRECT, problems,
                    f"{response.status_code} to {location}", url=url)


def cookies(probe: Probe, service: str, path: str) -> CheckResult:
    spec = probe.profile.services[service]
    url = spec.url(path)
    exchange, failed = _get(probe, "cookies", service, url, path)
    if failed:
        return failed
    set_cookies = exchange.response.headers.get_list("set-cookie")
    problems = [p for header in set_cookies for p in judge_set_cookie(header, spec.security.session_cookies)]
    if not set_cookies:
        problems.append("no Set-Cookie on this page, which the profile lists as setting cookies")
    names = ", ".join(h.split("=", 1)[0] for h in set_cookies)
    return _verdict("cookies", service, probe, Category.COOKIE, problems, f"cookies {names} are Secure, SameSite, "
                    "and HttpOnly where they hold a session", path=path, url=url)


def cors(probe: Probe, service: str) -> CheckResult:
    spec, policy = probe.profile.services[service], probe.profile.cors
    url = spec.url(spec.security.cors_path)
    problems: list[str] = []
    exchanges = 0

    def ask(origin: str, preflight: bool) -> Exchange:
        nonlocal exchanges
        exchanges += 1
        if preflight:
            return probe.request("OPTIONS", url, headers={"Origin": origin,
                                                          "Access-Control-Request-Method": spec.security.cors_method})
        return probe.get(url, headers={"Origin": origin})

    for preflight in (True, False):
        for origin in policy.allowed_origins:
            exchange = ask(origin, preflight)
            if exchange.response is None:
                return unreachable("cors", service, probe, exchange)
            problems += judge_allowed(origin, exchange.response.status_code, exchange.response.headers,
                                      credentials=policy.credentials, preflight=preflight)
            if wildcard_with_credentials(exchange.response.headers):
                problems.append("Access-Control-Allow-Origin: * together with Allow-Credentials: true")
        for label, origin in hostile_origins(policy.allowed_origins):
            exchange = ask(origin, preflight)
            if exchange.response is None:
                return unreachable("cors", service, probe, exchange)
            problems += judge_refused(label, origin, exchange.response.headers, preflight=preflight)
    return _verdict("cors", service, probe, Category.CORS, sorted(set(problems)),
                    f"{len(policy.allowed_origins)} allowed origins echoed, "
                    f"{len(hostile_origins(policy.allowed_origins))} hostile origins refused ({exchanges} requests)",
                    url=url)


def rate_limit(probe: Probe, rule: RateLimitRule) -> CheckResult:
    spec = probe.profile.services[rule.service]
    url, path = spec.url(rule.path), f"{rule.method} {rule.path}"
    statuses: list[int] = []
    fields = []
    blocked = None
    for _ in range(rule.limit + 1):
        exchange = probe.request(rule.method, url, json=rule.json_body)
        if exchange.response is None:
            return unreachable("rate_limit", rule.service, probe, exchange, path=path)
        statuses.append(exchange.response.status_code)
        fields.append(parse_limit_fields(exchange.response.headers))
        if exchange.response.status_code == 429:
            blocked = exchange.response
            break
    details = {"statuses": statuses, "limit": rule.limit, "window_s": rule.window_s}
    common = dict(path=path, url=url, details=details)
    if blocked is None:
        return _verdict("rate_limit", rule.service, probe, Category.RATE_LIMIT,
                        [f"{rule.limit + 1} requests inside {rule.window_s} s and no 429: the limit of {rule.limit} "
                         f"is not enforced (statuses: {_runs(statuses)})"], "", **common)
    problems = []
    retry_after = parse_retry_after(blocked.headers.get("retry-after"), utc_now())
    if retry_after is None:
        problems.append(f"429 without a readable Retry-After (got {blocked.headers.get('retry-after', 'none')})")
    elif not 0 < retry_after <= rule.window_s:
        problems.append(f"Retry-After {retry_after:.0f} s is outside (0, {rule.window_s}] s")
    try:
        if "error" not in blocked.json():
            problems.append("429 body has no \"error\" field")
    except ValueError:
        problems.append("429 body is not JSON")
    problems += judge_fields(fields, rule.limit)
    escape = probe.request(rule.method, url, json=rule.json_body, headers={"X-Forwarded-For": "203.0.113.77",
                                                                          "CF-Connecting-IP": "203.0.113.77"})
    if escape.response is not None and escape.response.status_code != 429:
        problems.append(f"the limit is escaped by setting X-Forwarded-For/CF-Connecting-IP: answered "
                        f"{escape.response.status_code} instead of 429")
    return _verdict("rate_limit", rule.service, probe, Category.RATE_LIMIT, problems,
                    f"429 after {len(statuses) - 1} requests (limit {rule.limit}/{rule.window_s} s), "
                    f"Retry-After {blocked.headers.get('retry-after')}, not escapable by X-Forwarded-For", **common)


def _runs(statuses: list[int]) -> str:
    """``[400, 400, 400]`` -> ``400×3``."""
    out: list[str] = []
    for status in statuses:
        if out and out[-1].startswith(f"{status}×"):
            out[-1] = f"{status}×{int(out[-1].split('×')[1]) + 1}"
        else:
            out.append(f"{status}×1")
    return ", ".join(out)


def validation(probe: Probe, rule: ValidationRule) -> CheckResult:
    spec = probe.profile.services[rule.service]
    url, path = spec.url(rule.path), f"{rule.method} {rule.path}"
    json_header = {"Content-Type": "application/json"}
    oversized = json.dumps({"message": "x" * (rule.max_body_bytes + 1024)})
    probes = {
        "malformed JSON": '{"message": "hello", ',
        "wrong types": json.dumps(rule.wrong_types),
        f"a body over {rule.max_body_bytes} bytes": oversized,
    }
    problems, seen = [], []
    for label, body in probes.items():
        exchange = probe.request(rule.method, url, content=body.encode(), headers=json_header)
        if exchange.response is None:
            return unreachable("validation", rule.service, probe, exchange, path=path)
        response = exchange.response
        seen.append(f"{label} -> {response.status_code}")
        if response.status_code == 429:
            problems.append(f"{label}: rate limited (429) before validation could be judged")
            continue
        if not 400 <= response.status_code < 500:
            problems.append(f"{label}: expected a 4xx, got {response.status_code}")
        try:
            response.json()
        except ValueError:
            problems.append(f"{label}: error body is not JSON ({response.headers.get('content-type', 'no content-type')})")
        leaks = error_leaks(response.text)
        if leaks:
            problems.append(f"{label}: error body reveals {', '.join(leaks)}")
    return _verdict("validation", rule.service, probe, Category.VALIDATION, problems, "; ".join(seen),
                    path=path, url=url)


def secrets(probe: Probe, service: str) -> CheckResult:
    spec = probe.profile.services[service]
    origin = spec.base_url
    leaks, scanned, fetched, unreadable = [], [], set(), []

    def scan(url: str, required: bool) -> str | None:
        if url in fetched:
            return None
        fetched.add(url)
        exchange = probe.get(url)
        if exchange.response is None or exchange.response.status_code != 200:
            if required:  # a script the page loads and the monitor cannot read is a script nobody checked
                unreadable.append(f"could not scan {urlsplit(url).path} "
                                  f"({exchange.response.status_code if exchange.response is not None else exchange.error_text})")
            return None
        scanned.append(urlsplit(url).path)
        leaks.extend(find_leaks(exchange.response.text, urlsplit(url).path))
        return exchange.response.text

    for page in spec.security.pages:
        exchange = probe.get(spec.url(page))
        if exchange.response is None:
            return unreachable("secrets", service, probe, exchange)
        fetched.add(spec.url(page))
        scanned.append(page)
        leaks.extend(find_leaks(exchange.response.text, page))
        for src in script_sources(exchange.response.text):
            script_url = urljoin(spec.url(page), src)
            if urlsplit(script_url).netloc != urlsplit(origin).netloc:
                continue  # third-party scripts are not ours to scan
            script = scan(script_url, required=True)
            if script and (mapped := source_map_url(script)):
                scan(urljoin(script_url, mapped), required=False)  # serving no source map is the safe choice
    return _verdict("secrets", service, probe, Category.SECRET, [leak.describe() for leak in leaks] + unreadable,
                    f"no server secret in {len(scanned)} files ({', '.join(scanned)})", url=origin,
                    details={"scanned": scanned})


def exposure(probe: Probe, service: str) -> CheckResult:
    spec, rules = probe.profile.services[service], probe.profile.security
    url = spec.url(spec.health[0].path)
    exchange, failed = _get(probe, "exposure", service, url)
    if failed:
        return failed
    problems = []
    disclosed = version_disclosure(exchange.response.headers.multi_items())
    if disclosed and not rules.allow_version_disclosure:
        problems.append(f"version disclosed in {', '.join(disclosed)}")
    public = []
    for path in spec.security.docs_paths:
        docs = probe.get(spec.url(path))
        if docs.response is not None and docs.response.status_code == 200:
            public.append(path)
    if public and not rules.public_docs:
        problems.append(f"API docs are public at {', '.join(public)} (profile: public_docs = false)")
    return _verdict("exposure", service, probe, Category.EXPOSURE, problems,
                    f"no version in Server/X-Powered-By; docs not public ({', '.join(spec.security.docs_paths) or 'none listed'})",
                    url=spec.base_url)
