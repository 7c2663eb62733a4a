"""What ``slurpy-monitor init`` asks a live deployment: read-only (GET, and CORS preflights, which
a browser sends on its own), anonymous, no retries, and at most ``max_requests`` requests in all,
counted here. Everything it saw is handed to :mod:`monitor.draft.propose`, which decides nothing
on the network."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from monitor.analysers.secrets import script_sources
from monitor.draft.propose import (
    ATTACKER_ORIGIN,
    HEALTH_CANDIDATES,
    PAGE_CANDIDATES,
    PRIVATE_CANDIDATES,
    Seen,
    ServiceSeen,
    Sighting,
)
from monitor.probe import NetworkSettings, Probe

MAX_REQUESTS = 60  # the most init ever sends; a draft of the sandbox takes 39 (selftests/test_init.py)
MAX_SCRIPTS = 3  # scripts of the home page read to find the API, chat and Supabase hosts
READ_ONLY = ("GET", "OPTIONS")


class OutOfRequests(Exception):
    pass


@dataclass
class Counted:
    """A probe that refuses to send more than ``limit`` requests, and counts them per service."""

    probe: Probe
    limit: int
    sent: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    def ask(
        self, service: str, method: str, url: str, headers: dict[str, str] | None = None, max_bytes: int | None = None
    ) -> Seen:
        assert method in READ_ONLY, method  # a draft is made from a deployment that may be production
        if self.total >= self.limit:
            raise OutOfRequests(f"stopped at the bound of {self.limit} requests")
        self.sent[service] = self.sent.get(service, 0) + 1
        exchange = self.probe.request(method, url, headers=headers or {}, max_bytes=max_bytes, allow_truncated=True)
        path = urlsplit(url).path or "/"
        if exchange.response is None:
            return Seen(method, path, None, [], b"", exchange.error_text or "no answer")
        response = exchange.response
        return Seen(method, path, response.status_code, response.headers.multi_items(), response.content)


def observe(
    urls: dict[str, str], *, ca_bundle: str | None, timeout_s: float = 10.0, max_requests: int = MAX_REQUESTS
) -> tuple[Sighting, dict[str, int]]:
    """Look at each service once. ``urls`` maps service names to base URLs; the frontend's
    scripts may name more services, which are looked at too. Returns what was seen and the
    requests sent per service."""
    settings = NetworkSettings(
        target="init",
        timeout_s=timeout_s,
        retries=0,
        ca_bundle=ca_bundle,
        user_agent="slurpy-monitor/0.1 (+synthetic; init)",
    )
    probe = Probe(settings)
    counted = Counted(probe, max_requests)
    sighting = Sighting(urls=dict(urls))
    try:
        frontend = urls.get("frontend")
        if frontend:
            _scripts(counted, frontend, sighting)
        own_origin = _origin(frontend or next(iter(urls.values())))
        for name in list(sighting.urls):
            sighting.services[name] = _service(
                counted, name, sighting.urls[name], own_origin, sighting.home if name == "frontend" else None
            )
    except OutOfRequests as exc:
        sighting.notes.append(str(exc))
    finally:
        probe.close()
    return sighting, counted.sent


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _scripts(counted: Counted, base_url: str, sighting: Sighting) -> None:
    home = counted.ask("frontend", "GET", base_url + "/")
    sighting.home = home
    own = _origin(base_url)
    same_origin = [urljoin(base_url + "/", src) for src in script_sources(home.text)]
    for url in [u for u in dict.fromkeys(same_origin) if _origin(u) == own][:MAX_SCRIPTS]:
        seen = counted.ask("frontend", "GET", url, max_bytes=4_000_000)
        sighting.scripts[urlsplit(url).path] = seen.text
    for name, (url, source) in sighting.hosts_in_scripts().items():
        if name not in sighting.urls:
            sighting.urls[name] = url
            sighting.found_in[name] = source


def _service(counted: Counted, name: str, base_url: str, own_origin: str, home: Seen | None) -> ServiceSeen:
    seen = ServiceSeen(name, base_url)
    for path in HEALTH_CANDIDATES:
        seen.health[path] = counted.ask(name, "GET", base_url + path)
    if name == "frontend":
        for path in PAGE_CANDIDATES:
            seen.pages[path] = home if path == "/" and home is not None else counted.ask(name, "GET", base_url + path)
    for path in PRIVATE_CANDIDATES:
        seen.private[path] = counted.ask(name, "GET", base_url + path)
    cors_path = seen.cors_probe_path
    if cors_path:
        for origin in dict.fromkeys([own_origin, ATTACKER_ORIGIN]):
            seen.cors[origin] = counted.ask(
                name,
                "OPTIONS",
                base_url + cors_path,
                headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
            )
    if base_url.startswith("https://"):
        parts = urlsplit(base_url)
        seen.http = counted.ask(name, "GET", f"http://{parts.hostname}/")
    return seen
