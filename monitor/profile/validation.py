"""What every table of a profile shares: the strict base model, the bounds on numbers, the one
error type, and the validators more than one table uses."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict


class ProfileError(Exception):
    """A profile that cannot be used. ``lines`` holds one human-readable problem each."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


class Strict(BaseModel):
    # inf and nan are refused wherever a number is read: "timeout_s = inf" is no deadline at all.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# Upper bounds for numbers a profile sets: a typo (1e308, an extra zero run) is refused with the
# range instead of hanging a run or exhausting memory. Generous: no deployment needs more.
MAX_TIMEOUT_S = 600.0
MAX_DURATION_S = 86_400.0
MAX_MS = 600_000.0
MAX_BYTES = 1 << 30
MAX_COUNT = 100_000
MAX_DAYS = 3650

SAFE_CREDENTIALS = (
    'sign in with [auth] (method = "bearer" or "supabase-password", secrets named under '
    "[secrets]) or send a request header whose value comes from [secrets]"
)


def url_credentials_refused(where: str) -> str:
    """The one line said when a URL carries ``user:password@``: it would be written into every
    results file, history, report, log line and browser trace."""
    return (
        f"{where}: a URL must not hold credentials (user:password@host): they would be written into every "
        f"report and trace; {SAFE_CREDENTIALS}"
    )


def absolute_path(cls: type, value: str) -> str:
    """A path on the service's base URL: ``/api/health``, never a whole URL."""
    if not value.startswith("/"):
        raise ValueError("must start with '/'")
    return value


def origins_only(value: list[str] | None) -> list[str] | None:
    """An origin is what a browser sends in ``Origin``: scheme, host, optional port; nothing more
    (``https://your-domain.com/`` never matches one)."""
    for origin in value or []:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname or origin != f"{parts.scheme}://{parts.netloc}":
            raise ValueError(f"{origin!r} is not an origin: scheme://host[:port], no path or trailing slash")
    return value


def http_url(cls: type, value: str | None) -> str | None:
    """An http(s) URL, or not set (``None``): a link, an API or a receiver the monitor talks to."""
    if value is not None and urlsplit(value).scheme not in ("http", "https"):
        raise ValueError(f"must be an http(s) URL, got {value!r}")
    return value
