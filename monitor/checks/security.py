"""Security checks: headers, HTTPS redirect, cookies, CORS, leaked secrets and exposure (a route's
rate limit and input validation are in :mod:`monitor.checks.guards`). Each probes, hands what it
saw to an analyser, and returns a CheckResult."""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from monitor.analysers.cookies import judge_set_cookie
from monitor.analysers.cors import hostile_origins, judge_allowed, judge_refused, wildcard_with_credentials
from monitor.analysers.headers import HeaderPolicy, grade_headers, judge_exposure, version_disclosure
from monitor.analysers.redirect import judge_https_redirect
from monitor.analysers.secrets import find_leaks, script_sources, source_map_url
from monitor.checks.envelope import check, judged, unreachable
from monitor.probe import Exchange, Probe
from monitor.profile import CorsPolicy, SecurityPolicy
from monitor.results import Category, CheckResult


def _path(url: str) -> str:
    return urlsplit(url).path


@check
def headers(probe: Probe, service: str, url: str, policy: HeaderPolicy) -> CheckResult:
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("headers", service, probe, exchange, path=_path(url))
    report = grade_headers(exchange.response.headers.multi_items(), policy)
    return judged("headers", service, category=Category.HEADERS, problems=report.problems, url=url, path=_path(url),
                  ok_message=f"grade {report.grade} (score {report.score})",
                  details={"score": report.score, "grade": report.grade, "notes": report.notes})


@check
def https_redirect(probe: Probe, service: str, http_url: str) -> CheckResult:
    url = http_url.rstrip("/") + "/"
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("https_redirect", service, probe, exchange)
    status, location = exchange.response.status_code, exchange.response.headers.get("location", "")
    return judged("https_redirect", service, category=Category.REDIRECT, url=url,
                  problems=judge_https_redirect(url, status, location), ok_message=f"{status} to {location}")


@check
def cookies(probe: Probe, service: str, url: str, session_cookies: list[str]) -> CheckResult:
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("cookies", service, probe, exchange, path=_path(url))
    set_cookies = exchange.response.headers.get_list("set-cookie")
    problems = [p for header in set_cookies for p in judge_set_cookie(header, session_cookies)]
    if not set_cookies:
        problems.append("no Set-Cookie on this page, which the profile lists as setting cookies")
    names = ", ".join(h.split("=", 1)[0] for h in set_cookies)
    return judged("cookies", service, category=Category.COOKIE, problems=problems, url=url, path=_path(url),
                  ok_message=f"cookies {names} are Secure, SameSite, and HttpOnly where they hold a session")


@check
def cors(probe: Probe, service: str, url: str, method: str, policy: CorsPolicy) -> CheckResult:
    problems: list[str] = []
    exchanges = 0

    def ask(origin: str, preflight: bool) -> Exchange:
        nonlocal exchanges
        exchanges += 1
        if preflight:
            return probe.request("OPTIONS", url, headers={"Origin": origin, "Access-Control-Request-Method": method})
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
    return judged("cors", service, category=Category.CORS, problems=sorted(set(problems)), url=url,
                  ok_message=f"{len(policy.allowed_origins)} allowed origins echoed, "
                  f"{len(hostile_origins(policy.allowed_origins))} hostile origins refused ({exchanges} requests)")


@check
def secrets(probe: Probe, service: str, base_url: str, pages: list[str]) -> CheckResult:
    leaks, scanned, fetched, unreadable = [], [], set(), []

    def scan(url: str, required: bool) -> str | None:
        if url in fetched:
            return None
        fetched.add(url)
        exchange = probe.get(url)
        if exchange.response is None or exchange.response.status_code != 200:
            if required:  # a script the page loads and the monitor cannot read is a script nobody checked
                unreadable.append(f"could not scan {_path(url)} "
                                  f"({exchange.response.status_code if exchange.response is not None else exchange.error_text})")
            return None
        scanned.append(_path(url))
        leaks.extend(find_leaks(exchange.response.text, _path(url)))
        return exchange.response.text

    for page in pages:
        page_url = base_url + page
        exchange = probe.get(page_url)
        if exchange.response is None:
            return unreachable("secrets", service, probe, exchange)
        fetched.add(page_url)
        scanned.append(page)
        leaks.extend(find_leaks(exchange.response.text, page))
        for src in script_sources(exchange.response.text):
            script_url = urljoin(page_url, src)
            if urlsplit(script_url).netloc != urlsplit(base_url).netloc:
                continue  # third-party scripts are not ours to scan
            script = scan(script_url, required=True)
            if script and (mapped := source_map_url(script)):
                scan(urljoin(script_url, mapped), required=False)  # serving no source map is the safe choice
    return judged("secrets", service, category=Category.SECRET, problems=[leak.describe() for leak in leaks] + unreadable,
                  ok_message=f"no server secret in {len(scanned)} files ({', '.join(scanned)})", url=base_url,
                  details={"scanned": scanned})


@check
def exposure(probe: Probe, service: str, url: str, docs_urls: list[str], policy: SecurityPolicy) -> CheckResult:
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("exposure", service, probe, exchange)
    disclosed = version_disclosure(exchange.response.headers.multi_items())
    public = []
    for docs_url in docs_urls:
        docs = probe.get(docs_url)
        if docs.response is not None and docs.response.status_code == 200:
            public.append(_path(docs_url))
    base = url[: len(url) - len(_path(url))]
    return judged("exposure", service, category=Category.EXPOSURE, url=base,
                  problems=judge_exposure(disclosed, public, allow_version=policy.allow_version_disclosure,
                                          allow_docs=policy.public_docs),
                  ok_message=f"no version in Server/X-Powered-By; docs not public "
                  f"({', '.join(_path(u) for u in docs_urls) or 'none listed'})")
