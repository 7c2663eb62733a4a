"""Security checks: headers, HTTPS redirect, cookies, CORS, leaked secrets and exposure (a route's
rate limit and input validation are in :mod:`monitor.checks.guards`). Each probes, hands what it
saw to an analyser, and returns a CheckResult."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.analysers.cookies import judge_set_cookie
from monitor.analysers.cors import Answer, Trial, hostile_origins, judge_cors, not_reached
from monitor.analysers.errors import error_leaks
from monitor.analysers.exposure import judge_exposure, visibility
from monitor.analysers.headers import HSTS_OVER_HTTP, HeaderPolicy, grade_headers, version_disclosure
from monitor.analysers.redirect import judge_https_redirect
from monitor.analysers.secrets import Leak, ScannedFile, StreamScan, without_query
from monitor.checks.envelope import inconclusive, judged, unreachable
from monitor.checks.registry import check
from monitor.probe import Exchange, Probe
from monitor.profile import CorsPolicy, PrivatePath
from monitor.results import Category, CheckResult, Verdict


def _path(url: str) -> str:
    return urlsplit(url).path


@dataclass(frozen=True)
class HeadersArgs:
    service: str
    url: str
    policy: HeaderPolicy


@check(
    "headers",
    HeadersArgs,
    nothing_to_probe="no service in this profile lists header_paths under [services.<name>.security]",
)
def headers(probe: Probe, service: str, url: str, policy: HeaderPolicy) -> CheckResult:
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("headers", service, probe, exchange, path=_path(url))
    report = grade_headers(exchange.response.headers.multi_items(), policy, https=url.startswith("https://"))
    profile_notes = [note for note in report.notes if note == HSTS_OVER_HTTP]
    return judged(
        "headers",
        service,
        category=Category.HEADERS,
        problems=report.problems,
        url=url,
        path=_path(url),
        ok_message=f"grade {report.grade} (score {report.score})"
        + "".join(f"; profile note: {note}" for note in profile_notes),
        details={"score": report.score, "grade": report.grade, "notes": report.notes},
    )


@dataclass(frozen=True)
class HttpsRedirectArgs:
    service: str
    http_url: str


@check(
    "https_redirect",
    HttpsRedirectArgs,
    nothing_to_probe="no service in this profile sets security.http_url (a plain-http URL that must redirect)",
)
def https_redirect(probe: Probe, service: str, http_url: str) -> CheckResult:
    url = http_url.rstrip("/") + "/"
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("https_redirect", service, probe, exchange)
    status, location = exchange.response.status_code, exchange.response.headers.get("location", "")
    return judged(
        "https_redirect",
        service,
        category=Category.REDIRECT,
        url=url,
        problems=judge_https_redirect(url, status, location),
        ok_message=f"{status} to {location}",
    )


@dataclass(frozen=True)
class CookiesArgs:
    service: str
    url: str
    session_cookies: list[str]


@check("cookies", CookiesArgs, nothing_to_probe="no service in this profile lists cookie_paths")
def cookies(probe: Probe, service: str, url: str, session_cookies: list[str]) -> CheckResult:
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("cookies", service, probe, exchange, path=_path(url))
    set_cookies = exchange.response.headers.get_list("set-cookie")
    if not set_cookies:  # nothing insecure exists here, and nothing was judged (the real app's session lives in
        # the browser's storage, set by client code): the profile needs fixing, not the target
        return inconclusive(
            "cookies",
            service,
            url=url,
            path=_path(url),
            why=(
                f"{_path(url)} answered {exchange.response.status_code} and sets no cookie: list pages that do under "
                f"[services.{service}.security] cookie_paths, or name the session cookies (session_cookies), which the "
                "sign-in journey judges in the browser"
            ),
        )
    problems = [p for header in set_cookies for p in judge_set_cookie(header, session_cookies)]
    names = ", ".join(h.split("=", 1)[0] for h in set_cookies)
    return judged(
        "cookies",
        service,
        category=Category.COOKIE,
        problems=problems,
        url=url,
        path=_path(url),
        ok_message=f"cookies {names} are Secure, SameSite, and HttpOnly where they hold a session",
    )


# A POST carries a small JSON body that no route takes as valid, so the probe starts no work; its
# Content-Type is what a browser would ask the preflight about.
CORS_BODY = b"{}"


@dataclass(frozen=True)
class CorsArgs:
    service: str
    url: str
    method: str
    policy: CorsPolicy


@check(
    "cors",
    CorsArgs,
    nothing_to_probe="no service in this profile sets security.cors_path with allowed origins "
    "([cors] or security.cors_origins)",
)
def cors(probe: Probe, service: str, url: str, method: str, policy: CorsPolicy) -> CheckResult:
    path = _path(url)
    sends = {"Content-Type": "application/json"} if method == "POST" else {}
    asks = {"Access-Control-Request-Method": method}
    if sends:
        asks["Access-Control-Request-Headers"] = ",".join(name.lower() for name in sends)
    origins: list[tuple[str, str | None]] = [(origin, None) for origin in policy.allowed_origins]
    origins += [(origin, label) for label, origin in hostile_origins(policy.allowed_origins)]
    trials: list[Trial] = []
    for origin, hostile in origins:
        preflight = probe.request("OPTIONS", url, headers={"Origin": origin, **asks})
        if preflight.response is None:
            return unreachable("cors", service, probe, preflight)
        request = probe.request(method, url, headers={"Origin": origin, **sends}, content=CORS_BODY if sends else None)
        if request.response is None:
            return unreachable("cors", service, probe, request)
        trial = Trial(
            origin,
            Answer.of(preflight.response.status_code, preflight.response.headers),
            Answer.of(request.response.status_code, request.response.headers),
            hostile=hostile,
        )
        if not_reached(trial.request):
            return inconclusive(
                "cors",
                service,
                url=url,
                why=(
                    f"{method} {path} answered {trial.request.status} to a request from {origin}: the route does not "
                    f"take {method} (or does not exist), so its CORS answer was never seen; set cors_path and "
                    f"cors_method under [services.{service}.security] to a route and the method it answers"
                ),
            )
        trials.append(trial)
    findings = judge_cors(
        trials, method=method, request_headers=tuple(name.lower() for name in sends), credentials=policy.credentials
    )
    return judged(
        "cors",
        service,
        category=Category.CORS,
        problems=[str(f) for f in findings],
        url=url,
        details={"affected": {f.problem: f.origins for f in findings}, "requests": 2 * len(trials)},
        ok_message=f"allowed origins echoed on preflight and {method} ({len(policy.allowed_origins)}), "
        f"origins an attacker can own refused ({len(trials) - len(policy.allowed_origins)}), "
        f"{2 * len(trials)} requests",
    )


@dataclass
class _Queued:
    url: str
    kind: str  # "page", "script" or "source map"
    loader: str  # the path of the file that loads it; "" for a page the profile lists
    loaded: bool  # the page certainly loads it: one that cannot be read is a script nobody checked


@dataclass
class _Fetched:
    """A file as fetched, scanned as it arrived (a 2xx answer only), and the CPU seconds the scan
    took (the scan of the attempt that counts; a retry starts a fresh one)."""

    exchange: Exchange
    scanned: ScannedFile | None = None
    scan_s: float = 0.0


def _fetch(probe: Probe, item: _Queued, cap: int) -> _Fetched:
    """The scan's one way to read a file: at most ``cap`` bytes of it, as a stream, each piece
    scanned as it arrives."""
    scans: list[tuple[StreamScan, list[float]]] = []

    def stream_to(response: httpx.Response) -> Callable[[bytes], None] | None:
        if not 200 <= response.status_code < 300:
            return None
        scan, spent = StreamScan(_path(item.url), item.url, response.encoding or "utf-8", item.kind), [0.0]
        scans.append((scan, spent))

        def consume(chunk: bytes) -> None:
            began = time.thread_time()
            scan.feed(chunk)
            spent[0] += time.thread_time() - began

        return consume

    exchange = probe.get(item.url, max_bytes=cap, allow_truncated=True, stream_to=stream_to)
    if exchange.response is None or not 200 <= exchange.response.status_code < 300:
        return _Fetched(exchange)
    scan, spent = scans[-1]
    began = time.thread_time()
    scanned = scan.finish()
    return _Fetched(exchange, scanned, spent[0] + time.thread_time() - began)


def _size(count: int) -> str:
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"


@dataclass
class _SecretScan:
    """One scan's queue and findings: each file is queued once by its URL without query, read
    once, and judged once by its content; reading stops at the file or byte bound. Files are
    fetched ahead of their turn, but what they hold is taken in queue order (pages, then what
    they load, breadth first), so the findings and the bounds are those of one file at a time."""

    origin: str
    max_files: int
    max_bytes: int
    queue: dict[str, _Queued] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # pages, then what they load, breadth first
    done: int = 0
    read_bytes: int = 0
    by_hash: dict[str, str] = field(default_factory=dict)
    leaks: list[Leak] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)
    inline_maps: list[str] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)
    third_party: set[str] = field(default_factory=set)
    named_but_missing: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)
    # CPU seconds spent scanning what was read: the scanning thread's own time, so neither the
    # fetching nor the files scanned beside it in other threads count
    scan_s: float = 0.0

    def enqueue(self, url: str, kind: str, loader: str, loaded: bool) -> None:
        key = without_query(url)
        if urlsplit(key).netloc != self.origin:
            self.third_party.add(key)  # other origins' scripts are not ours to scan
        elif key in self.queue:
            self.queue[key].loaded |= loaded
        else:
            self.queue[key] = _Queued(url, kind, loader, loaded)
            self.order.append(key)

    def next(self) -> str | None:
        if self.done >= len(self.order) or self.done >= self.max_files or self.read_bytes >= self.max_bytes:
            return None
        self.done += 1
        return self.order[self.done - 1]

    def ahead(self, count: int) -> list[str]:
        """The file whose turn it is and those after it, ``count`` in all, within the file bound."""
        return self.order[self.done - 1 : min(self.done - 1 + count, self.max_files)]

    def cap(self, max_script_bytes: int) -> int:
        """What the next file may be read to: the bytes left, within the per-file cap."""
        return max(1, min(self.max_bytes - self.read_bytes, max_script_bytes))

    def unread(self, item: _Queued, seen: str | int) -> None:
        path = _path(item.url)
        if item.kind == "source map":
            return  # serving no source map is the safe choice
        if item.loaded:
            self.unreadable.append(
                f"could not scan {path} ({seen})" + (f", which {item.loader} loads" if item.loader else "")
            )
        else:
            self.named_but_missing.append(f"{path} ({seen}), named in {item.loader}")

    def read(self, item: _Queued, fetched: _Fetched, cap: int) -> None:
        """Take a fetched file's findings. One fetched ahead of its turn may hold more than the bytes
        left now allow (``cap``): it is cut there and scanned again, as if read to the cap."""
        assert fetched.exchange.response is not None and fetched.scanned is not None
        scanned, truncated = fetched.scanned, fetched.exchange.truncated
        self.scan_s += fetched.scan_s
        if scanned.size > cap:
            began = time.thread_time()
            rescan = StreamScan(_path(item.url), item.url, fetched.exchange.response.encoding or "utf-8", item.kind)
            rescan.feed(fetched.exchange.response.content[:cap])
            scanned, truncated = rescan.finish(), True
            self.scan_s += time.thread_time() - began
        path = _path(item.url)
        self.read_bytes += scanned.size
        if truncated:
            self.cut.append(f"{path} scanned only to its first {_size(scanned.size)}")
        if scanned.digest in self.by_hash:
            self.duplicates[path] = self.by_hash[scanned.digest]
            return
        self.by_hash[scanned.digest] = path
        self.scanned.append(path)
        self.leaks += scanned.leaks
        for decoded in scanned.maps:
            if decoded:
                self.inline_maps.append(path)
            else:
                self.unreadable.append(f"could not decode the inline source map of {path}")
        for src in scanned.scripts:
            self.enqueue(urljoin(item.url, src), "script", path, True)
        for url, loaded in scanned.runtime:
            self.enqueue(url, "script", path, loaded)
        if scanned.source_map:
            self.enqueue(urljoin(item.url, scanned.source_map), "source map", path, False)

    @property
    def summary(self) -> str:
        text = f"scanned {len(self.scanned)} files, {_size(self.read_bytes)}"
        if self.inline_maps:
            text += f" and {len(self.inline_maps)} inline source map{'s' if len(self.inline_maps) > 1 else ''}"
        return text

    @property
    def unread_summary(self) -> str | None:
        if not self.unreadable:
            return None
        count = len(self.unreadable)
        return f"{count} file{'s' if count > 1 else ''} not scanned: {', '.join(self.unreadable)}"

    @property
    def bound(self) -> str | None:
        left = len(self.order) - self.done
        if not left and not self.cut:
            return None
        which = f"{self.max_files}-file" if self.done >= self.max_files else _size(self.max_bytes)
        stopped = [*self.cut, *([f"{left} files not scanned"] if left else [])]
        return f"stopped at the {which} bound: {', '.join(stopped)}"

    @property
    def notes(self) -> list[str]:
        notes = []
        if self.duplicates:
            notes.append(f"{len(self.duplicates)} identical under another name")
        if self.third_party:
            notes.append(f"{len(self.third_party)} third-party scripts not ours to scan")
        if self.named_but_missing:
            notes.append(
                f"{len(self.named_but_missing)} script paths named in the code could not be fetched: "
                f"{', '.join(self.named_but_missing)}"
            )
        return notes

    @property
    def details(self) -> dict:
        return {
            "files": self.scanned,
            "bytes": self.read_bytes,
            "inline_source_maps": self.inline_maps,
            "loaded_by": {_path(k): self.queue[k].loader for k in self.order[: self.done] if self.queue[k].loader},
            "duplicates": self.duplicates,
            "third_party": sorted(self.third_party),
            "not_scanned": self.order[self.done :],
            "named_but_missing": self.named_but_missing,
            "unreadable": self.unreadable,
            "max_files": self.max_files,
            "max_bytes": self.max_bytes,
            "scan_s": round(self.scan_s, 4),
            "scanned_mb_per_s": round(self.read_bytes / 1e6 / self.scan_s, 1) if self.scan_s > 0 else None,
        }


@dataclass(frozen=True)
class SecretsArgs:
    service: str
    base_url: str
    pages: list[str]
    max_files: int
    max_bytes: int
    concurrency: int


@check("secrets", SecretsArgs, nothing_to_probe="no service in this profile lists pages to scan")
def secrets(
    probe: Probe,
    service: str,
    base_url: str,
    pages: list[str],
    max_files: int,
    max_bytes: int,
    concurrency: int,
) -> CheckResult:
    """The pages and every same-origin script they load, also at run time, and their source maps,
    ``concurrency`` files fetched at once."""
    scan = _SecretScan(urlsplit(base_url).netloc, max_files, max_bytes)
    for page in pages:
        scan.enqueue(base_url + page, "page", "", True)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="secrets-scan")
    fetching: dict[str, Future[_Fetched]] = {}
    try:
        while (key := scan.next()) is not None:
            for upcoming in scan.ahead(concurrency):
                if upcoming not in fetching:
                    cap = scan.cap(probe.settings.max_script_bytes)
                    fetching[upcoming] = pool.submit(_fetch, probe, scan.queue[upcoming], cap)
            item, fetched = scan.queue[key], fetching.pop(key).result()
            exchange = fetched.exchange
            if exchange.response is None and item.kind == "page":
                return unreachable("secrets", service, probe, exchange)
            if exchange.response is None:
                scan.unread(item, exchange.error_text)
            elif not 200 <= exchange.response.status_code < 300:
                scan.unread(item, exchange.response.status_code)
            else:
                scan.read(item, fetched, scan.cap(probe.settings.max_script_bytes))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    # Only a found secret fails; what the scan could not read or decode was not judged, and says so
    # as a warning (counted and named), so a real leak never arrives in a check already red for it.
    unread = scan.unread_summary
    problems = [*(leak.describe() for leak in scan.leaks), *filter(None, [scan.bound, unread])]
    # files and bytes scanned belong in every verdict's message: its preface, not a problem of its own
    return judged(
        "secrets",
        service,
        category=Category.SECRET,
        problems=problems,
        url=base_url,
        details=scan.details,
        preface=scan.summary,
        verdict=Verdict.WARN if problems and not scan.leaks else None,
        ok_message=f"no server secret: {scan.summary}, each once"
        + (f" ({'; '.join(scan.notes)})" if scan.notes else ""),
    )


@dataclass(frozen=True)
class ExposureArgs:
    service: str
    url: str
    base_url: str
    private_paths: list[PrivatePath]
    allow_version: bool
    sign_in_path: str | None


@check("exposure", ExposureArgs, nothing_to_probe="no service in this profile")
def exposure(
    probe: Probe,
    service: str,
    url: str,
    base_url: str,
    private_paths: list[PrivatePath],
    allow_version: bool,
    sign_in_path: str | None = None,
) -> CheckResult:
    if any(name.lower() == "authorization" for name in probe.settings.headers):
        return inconclusive(
            "exposure",
            service,
            url=base_url,
            why="a signed-in probe cannot tell what is public: give this check the anonymous probe",
        )
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("exposure", service, probe, exchange)
    disclosed = version_disclosure(exchange.response.headers.multi_items())
    seen: dict[str, list[str]] = {"public": [], "private": [], "unknown": []}
    unknown_categories = []  # why a path's visibility is unknown, by blackbox phase
    leaked: list[str] = []
    for entry in private_paths:
        answer = probe.request(entry.method, base_url + entry.path, allow_truncated=True)  # the status decides
        if answer.response is None:
            seen["unknown"].append(f"{entry.label} (no answer: {answer.error_text})")
            unknown_categories.append(answer.category or Category.CONNECT)
            continue
        status, location = answer.response.status_code, answer.response.headers.get("location", "")
        if status >= 400 and (leaks := error_leaks(answer.response.text, status)):
            leaked.append(f"{entry.label} ({status}): error body reveals {', '.join(leaks)}")
        kind = visibility(status, location, sign_in_path)
        to_sign_in = kind == "private" and 300 <= status < 400
        seen[kind].append(f"{entry.label} ({status}{' to sign-in' if to_sign_in else ''})")
        if kind == "unknown":
            unknown_categories.append(Category.HTTP_STATUS)
    problems = judge_exposure(disclosed, seen["public"], seen["unknown"], allow_version=allow_version) + leaked
    exposed = (disclosed and not allow_version) or seen["public"] or leaked
    category = Category.EXPOSURE if exposed or not unknown_categories else unknown_categories[0]
    return judged(
        "exposure",
        service,
        category=category,
        url=base_url,
        problems=problems,
        details={"private": seen["private"], "public": seen["public"], "unknown": seen["unknown"]},
        ok_message=f"no version in Server/X-Powered-By; private to anonymous callers: "
        f"{', '.join(seen['private']) or 'none listed'}",
    )
