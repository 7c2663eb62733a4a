"""From what a deployment answered to a profile draft: pure, no network.

Every value written carries a comment saying where it came from; what the answers cannot tell
(write routes, limits, sign-in, test accounts) is a ``TODO:`` with the question to answer. A
draft never takes a fault for the expected behaviour: an origin the monitor made up that was
allowed is reported, never listed as allowed; a body that says "not ok" today is still held to
ok; a cookie's flags are not read off the cookie (its name says whether it holds a session);
security headers of an HTML page are held to the full policy whatever it sends today."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from monitor.analysers.headers import version_disclosure
from monitor.profile import FULL_POLICY

HEALTH_CANDIDATES = ("/api/health", "/health", "/healthz", "/health/healthz", "/api/healthz", "/stats")
PAGE_CANDIDATES = ("/", "/sign-in", "/sign-up")
PRIVATE_CANDIDATES = ("/docs", "/openapi.json")
# An origin nobody owns: a deployment that allows it allows any origin (it echoes what it is sent).
ATTACKER_ORIGIN = "https://evil.example"
SESSION_LIKE = re.compile(r"sess|sid|csrf|auth|token|jwt", re.I)
HEALTHY_WORDS = ("ok", "healthy", "up", "pass", "green")
RATE_LIMIT_FIELDS = ("ratelimit", "ratelimit-policy", "x-ratelimit-limit", "x-ratelimit-remaining", "retry-after")
URL_IN_SCRIPT = re.compile(r"https://[a-z0-9][a-z0-9.-]*[a-z0-9](?::\d+)?", re.I)
# The guide's "when to scale" lines: pages 1 s, APIs 500 ms.
LATENCY_MS = {"frontend": 1000}
API_LATENCY_MS = 500


@dataclass
class Seen:
    """One answer, or why there was none."""

    method: str
    path: str
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    error: str = ""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def is_html(self) -> bool:
        return "html" in (self.header("content-type") or "")

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def said(self) -> str:
        return self.error if self.status is None else f"{self.status}"


@dataclass
class ServiceSeen:
    name: str
    base_url: str
    health: dict[str, Seen] = field(default_factory=dict)
    pages: dict[str, Seen] = field(default_factory=dict)
    private: dict[str, Seen] = field(default_factory=dict)
    cors: dict[str, Seen] = field(default_factory=dict)  # preflight answers by Origin
    http: Seen | None = None

    def is_health(self, seen: Seen) -> bool:
        """An answer that looks like a health endpoint's: a JSON body, or a short plain text, with
        a 2xx or 5xx status (a failing health endpoint is still one). An HTML page is not."""
        if seen.status is None or not (200 <= seen.status < 300 or seen.status >= 500) or seen.is_html:
            return False
        return isinstance(seen.json, dict) or (seen.status < 300 and 0 < len(seen.body.strip()) <= 64)

    @property
    def health_paths(self) -> list[str]:
        return [path for path, seen in self.health.items() if self.is_health(seen)]

    @property
    def cors_probe_path(self) -> str | None:
        return next(iter(self.health_paths), None)


@dataclass
class Sighting:
    urls: dict[str, str]
    services: dict[str, ServiceSeen] = field(default_factory=dict)
    home: Seen | None = None
    scripts: dict[str, str] = field(default_factory=dict)  # path -> text
    found_in: dict[str, str] = field(default_factory=dict)  # service -> the script that named its URL
    notes: list[str] = field(default_factory=list)

    def hosts_in_scripts(self) -> dict[str, tuple[str, str]]:
        """Services the frontend's scripts name: an ``api.`` host is the backend, a host naming
        mcp or chat the chat server. ``{service: (base URL, script path)}``."""
        found: dict[str, tuple[str, str]] = {}
        for path, text in self.scripts.items():
            for url in URL_IN_SCRIPT.findall(text):
                host = urlsplit(url).hostname or ""
                name = (
                    "backend"
                    if host.startswith("api.") or "backend" in host
                    else "mcp"
                    if "mcp" in host or host.startswith("chat.")
                    else None
                )
                if name and name not in found:
                    found[name] = (url.rstrip("/"), path)
        return found

    def supabase(self) -> tuple[str, str] | None:
        """The Supabase project the scripts name (``https://<ref>.supabase.co``), and where."""
        for path, text in self.scripts.items():
            for url in URL_IN_SCRIPT.findall(text):
                if (urlsplit(url).hostname or "").endswith(".supabase.co"):
                    return url, path
        return None


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = (k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k) for k in value)
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in zip(keys, value.values(), strict=True)) + " }"
    raise TypeError(type(value))


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, text: str) -> None:
        self.lines += [f"# {line}" if line else "#" for line in text.splitlines()]

    def todo(self, question: str) -> None:
        self.comment(f"TODO: {question}")

    def set(self, key: str, value: Any, why: str) -> None:
        self.lines.append(f"{key} = {_toml(value)}  # {why}")

    def table(self, name: str, array: bool = False) -> None:
        self.lines += ["", f"[[{name}]]" if array else f"[{name}]"]

    def blank(self) -> None:
        self.lines.append("")


def env_prefix(name: str) -> str:
    return "SLURPY_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


def draft(
    sighting: Sighting,
    name: str,
    source_url: str,
    ca_bundle: str | None,
    sent: dict[str, int],
    now: datetime | None = None,
) -> str:
    """The profile text for target ``name``."""
    now = now or datetime.now(UTC)
    out = _Lines()
    total = sum(sent.values())
    per = ", ".join(f"{s} {n}" for s, n in sent.items())
    out.comment(
        f"targets/{name}.toml: drafted by `slurpy-monitor init --url {source_url}` on {now:%Y-%m-%d %H:%M} UTC\n"
        f"from {total} read-only, anonymous requests ({per}).\n"
        "Each value says where it came from; each TODO is a question only you can answer.\n"
        f"Next: `slurpy-monitor check-profile --target {name}`, then `slurpy-monitor run smoke security --target "
        f"{name}`."
    )
    for note in sighting.notes:
        out.comment(f"NOTE: {note}")
    out.set("description", f"drafted from {source_url}", "edit freely")
    out.set("sensitive", True, "it may be production: destructive and budget checks stay off until you say otherwise")
    prefix = env_prefix(name)
    supabase = sighting.supabase()
    out.table("secrets")
    out.comment(
        "The profile only NAMES environment variables; set them where the monitor runs (repository\n"
        "secrets in CI). Never write a secret's value in this file."
    )
    out.set(
        "monitor_email", f"{prefix}_MONITOR_EMAIL", "TODO: the monitor account's e-mail (sign-in and chat journeys)"
    )
    out.set("monitor_password", f"{prefix}_MONITOR_PASSWORD", "TODO: its password")
    if supabase:
        out.set("supabase_anon_key", f"{prefix}_SUPABASE_ANON_KEY", "the project's public anon key (signed-in probes)")
    if ca_bundle:
        out.table("tls")
        out.set("ca_bundle", ca_bundle, "given with --ca-bundle: the private CA these services' certificates chain to")
    if supabase:
        out.table("auth")
        out.set("method", "supabase-password", f"the scripts name a Supabase project ({supabase[1]})")
        out.set("supabase_url", supabase[0], f"found in {supabase[1]}")
    else:
        out.blank()
        out.todo(
            'how does the monitor sign in for signed-in probes? Add [auth] (method = "supabase-password"\n'
            'with supabase_url, or "bearer"); no Supabase project was named in the home page\'s scripts.'
        )
    _write_routes(out, sighting)
    out.blank()
    out.todo(
        "journeys that create accounts (sign-up, payment) need [journeys] test_accounts_path (an admin API\n"
        "for synthetic accounts) and inbox_url (a test inbox); they are destructive, so they stay off\n"
        "while sensitive = true. Sign-in and chat need only the monitor account above."
    )
    disclosed = sorted(
        {
            v
            for s in sighting.services.values()
            for seen in [*s.health.values(), *s.pages.values()]
            for v in version_disclosure(seen.headers)
        }
    )
    if disclosed:
        out.blank()
        out.comment(
            f"NOTE: answers today name a version ({'; '.join(disclosed)}): the exposure check fails until\n"
            "they do not (or set [security] allow_version_disclosure = true)."
        )
    for service in sighting.services.values():
        _service(out, service, sighting, source_url)
    return "\n".join(out.lines) + "\n"


def _write_routes(out: _Lines, sighting: Sighting) -> None:
    advertised = sorted(
        {
            k.lower()
            for s in sighting.services.values()
            for seen in s.health.values()
            for k, _ in seen.headers
            if k.lower() in RATE_LIMIT_FIELDS
        }
    )
    seen = (
        f"Rate-limit fields seen on answers today: {', '.join(advertised)}."
        if advertised
        else "No answer advertised rate-limit fields (RateLimit, X-RateLimit-*)."
    )
    out.blank()
    out.todo(
        "which write routes have rate limits and size limits? A monitor only reads, so it could not\n"
        "learn them. Add [[rate_limits]] (service, path, limit, window_s, a json_body the route refuses)\n"
        "and [[validation]] (service, path, valid_body, wrong_types) rules, auth = true for sign-in-first\n"
        f"routes; [[access]] (service, path, csrf) for the sign-in and CSRF gates of the others.\n{seen}"
    )


def _service(out: _Lines, service: ServiceSeen, sighting: Sighting, source_url: str) -> None:
    name = service.name
    out.table(f"services.{name}")
    source = f"found in {sighting.found_in[name]}" if name in sighting.found_in else "given with --url"
    out.set("base_url", service.base_url, source)
    latency = LATENCY_MS.get(name, API_LATENCY_MS)
    out.set(
        "latency_ms", latency, "the operations guide's line: " + ("pages 1 s" if latency == 1000 else "APIs 500 ms")
    )
    health_paths = service.health_paths
    if not health_paths:
        tried = ", ".join(f"{p} {s.said}" for p, s in service.health.items())
        out.todo(f"no health endpoint found (tried {tried}): add a [[services.{name}.health]] with its path.")
    out.table(f"services.{name}.security")
    _headers(out, service)
    _cookies(out, service)
    _https(out, service)
    _cors(out, service)
    pages = [p for p, seen in service.pages.items() if seen.status == 200 and seen.is_html]
    if pages:
        out.set("pages", pages, "answered 200 HTML today: scanned, with the scripts they load, for leaked secrets")
    private = ", ".join(f"{p} {s.said}" for p, s in service.private.items())
    public = [p for p, s in service.private.items() if s.status is not None and 200 <= s.status < 300]
    out.set("private_paths", list(PRIVATE_CANDIDATES), f"a deployment keeps these private (answered today: {private})")
    if public:
        out.comment(
            f"NOTE: {', '.join(public)} answered an anonymous GET with 2xx today: the exposure check fails until\n"
            "it is closed; remove it from private_paths only if it is meant to be public."
        )
    for path in health_paths:
        _health(out, name, path, service.health[path])
    if not health_paths:
        # The profile needs one; the guide's first path, so the draft loads and check-profile says what is wrong.
        out.table(f"services.{name}.health", array=True)
        out.set("path", "/health", "TODO: no health endpoint answered; this path is a placeholder")


def _headers(out: _Lines, service: ServiceSeen) -> None:
    html = [p for p, seen in service.pages.items() if seen.status == 200 and seen.is_html]
    health = service.health_paths[:1]
    if html:
        out.set(
            "header_paths",
            html + health,
            "HTML pages held to the full header policy (the default required_headers), and the first health answer",
        )
        return
    seen = service.health[health[0]] if health else None
    sent = [h for h in FULL_POLICY if seen is not None and seen.header(h) is not None]
    if not sent:
        out.todo(
            f"{service.name} sent none of the security headers ({', '.join(FULL_POLICY)}) on its health\n"
            "answer today: list header_paths and required_headers once it does."
        )
        return
    out.set("header_paths", health, "its first health answer (a JSON API: no page to load)")
    out.set("required_headers", sent, "what it sends today; an API needs no more than nosniff")
    missing = [h for h in FULL_POLICY if h not in sent]
    if missing:
        out.comment(f"not sent today: {', '.join(missing)}")


def _cookies(out: _Lines, service: ServiceSeen) -> None:
    setting = {
        p: [h.split("=", 1)[0].strip() for k, h in seen.headers if k.lower() == "set-cookie"]
        for p, seen in service.pages.items()
    }
    setting = {p: names for p, names in setting.items() if names}
    if not setting:
        if service.pages:
            out.comment(f"no page set a cookie today ({', '.join(service.pages)}): no cookie_paths")
        return
    out.set(
        "cookie_paths",
        list(setting),
        "set cookies today: " + "; ".join(f"{p}: {', '.join(n)}" for p, n in setting.items()),
    )
    names = sorted({n for names in setting.values() for n in names})
    session = [n for n in names if SESSION_LIKE.search(n)]
    out.set("session_cookies", session, "guessed from the names (must also be HttpOnly); TODO: confirm")


def _https(out: _Lines, service: ServiceSeen) -> None:
    seen = service.http
    if seen is None:
        return
    host = urlsplit(service.base_url).hostname
    if seen.status is None:
        out.todo(
            f"plain http://{host}/ did not answer ({seen.error}): if http is served elsewhere, set http_url to it."
        )
        return
    location = seen.header("location") or ""
    why = (
        f"answered {seen.status} to {location} today"
        if location
        else f"answered {seen.status} without a redirect today: the https_redirect check fails until it redirects"
    )
    out.set("http_url", f"http://{host}", why)


def _allowed(seen: Seen, origin: str) -> bool:
    return seen.header("access-control-allow-origin") in (origin, "*")


def _cors(out: _Lines, service: ServiceSeen) -> None:
    if not service.cors:
        return
    own = next(o for o in service.cors if o != ATTACKER_ORIGIN)
    attacker = service.cors.get(ATTACKER_ORIGIN)
    origins: list[str] = []
    if attacker is not None and _allowed(attacker, ATTACKER_ORIGIN):
        why = (
            f"NOTE: its preflight allowed {ATTACKER_ORIGIN}, an origin the monitor made up: it allows any origin "
            "today, so none it allowed can be trusted. TODO: list the origins it should allow; the cors check "
            "fails until it refuses the others"
        )
    elif _allowed(service.cors[own], own):
        origins = [own]
        why = f"its preflight allowed {own} today and refused {ATTACKER_ORIGIN}; TODO: add your other origins"
    else:
        why = f"its preflight refused {own} and {ATTACKER_ORIGIN} today; TODO: add the origins it should allow"
    if service.name == "frontend":
        # Its API routes answer preflights, but only its write routes answer CORS on the request itself.
        out.todo(
            f'set cors_path to a CORS-wrapped write route (e.g. /api/proxy-chat, cors_method = "POST") and\n'
            f"cors_origins = {_toml(origins)}: {why}."
        )
        return
    out.set("cors_origins", origins, why)
    out.set("cors_path", service.cors_probe_path, "its health route, probed with GET")
    out.set("cors_method", "GET", "that route's method")


def _health(out: _Lines, service: str, path: str, seen: Seen) -> None:
    out.table(f"services.{service}.health", array=True)
    out.set("path", path, f"answered {seen.status} today")
    out.set(
        "status",
        [200],
        "healthy" + (f"; TODO: it answered {seen.status} today: is it down?" if seen.status != 200 else ""),
    )
    data = seen.json
    if not isinstance(data, dict):
        out.set("text_equals", seen.text.strip(), "the body it answered today")
        return
    out.set("content_type", "application/json", "a JSON body")
    equals: dict[str, Any] = {}
    if isinstance(data.get("ok"), bool):
        equals["ok"] = True
        why = "the body's own verdict" + (
            "" if data["ok"] else "; TODO: it said ok: false today, a failing dependency?"
        )
    elif isinstance(data.get("status"), str):
        equals["status"] = "ok"
        why = "the body's own verdict" + (
            ""
            if data["status"].lower() in HEALTHY_WORDS
            else f"; TODO: it said {data['status']!r} today: what does a healthy one say?"
        )
    if equals:
        out.set("json_equals", equals, why)
    dependencies: list[str] = []
    groups: list[str] = []
    for key, value in data.items():
        if key in ("ok", "status"):
            continue
        if isinstance(value, bool):
            dependencies.append(key)
        elif isinstance(value, dict) and value and all(isinstance(v, dict) and "ok" in v for v in value.values()):
            dependencies += [f"{key}.{k}" for k in value]
        elif isinstance(value, dict) and not value and "check" in key.lower():
            groups.append(key)
    if dependencies or groups:
        out.set("dependencies", dependencies + groups, "the dependency checks in the body, each must be up")
    if groups:
        out.comment(
            f"TODO: {', '.join(groups)} held no check today (a deployment missing its configuration checks\n"
            "nothing): a group must not be empty, so this fails until it checks something."
        )
    used = set(equals) | {d.split(".")[0] for d in dependencies + groups}
    # An error body's keys are not what a healthy one holds.
    required = [] if "error" in data else [k for k in data if k not in used]
    if required:
        out.set("json_required", required, "keys of today's body")
    out.set("json_absent", ["error"], "a healthy body holds no error")
    if "error" in data:
        out.comment(
            f"TODO: it answered an error today ({str(data['error'])[:80]}): which keys does a healthy body hold?"
        )
    if not dependencies and not groups:
        out.comment("no dependency checks in the body today: TODO: does it report its database, vector store, ...?")
