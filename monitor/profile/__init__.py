"""Target profiles: everything a check expects of a deployment, read from ``targets/<name>.toml``.

Nothing a check compares against is written in a test: URLs, paths, healthy-body rules,
thresholds and TLS bands all come from here. Secrets never do; a profile only *names* the
environment variables that hold them (:class:`Secrets` reads them).

One module per concern, each the home of its tables' models: ``services`` (health, latency,
version, what the security suite probes, the header policy's defaults), ``rules`` (rate limits,
validation, sign-in-first routes), ``network`` (TLS, request headers, run deadlines), ``auth``,
``journeys``, ``load``, ``reporting`` (SLO, gate baseline, status page, metrics), ``alerts``;
``target`` joins them into :class:`Profile` and checks what spans tables, ``loader`` reads the
files, ``secrets`` the environment, ``validation`` holds what every table shares; ``reference``
writes ``docs/profile.md`` from the models (``python -m monitor.profile.reference``).

Import from ``monitor.profile`` (this module's names are the public API); a submodule is for the
package itself. Constants flow from here to the analysers, never back: this package imports only
pydantic, the standard library, :mod:`monitor.redact`, :mod:`monitor.results` and :mod:`monitor.layout` -- never
``monitor.analysers``, the probe, the browser, the commands, ``slurpy_sandbox`` or the tests.
"""

from monitor.profile.alerts import SEVERITIES, AlertChannel, AlertPolicy, MaintenanceWindow, Runbook
from monitor.profile.auth import AuthPolicy
from monitor.profile.journeys import JourneyPolicy
from monitor.profile.load import LOAD_SCENARIOS, LOAD_THRESHOLDS, LoadPolicy, LoadThreshold
from monitor.profile.loader import (
    available_targets,
    load_profile,
    parse_url_options,
    resolve_target_name,
    targets_dir,
    url_overrides_from_env,
)
from monitor.profile.network import RequestPolicy, RunDeadlines, TLSPolicy
from monitor.profile.reporting import GatePolicy, LatencyObjective, MetricsPolicy, SLOPolicy, StatusPagePolicy
from monitor.profile.rules import AccessRule, RateLimitRule, ValidationRule
from monitor.profile.secrets import MissingSecret, Secrets, request_headers
from monitor.profile.services import (
    FULL_POLICY,
    HSTS_FLOOR_S,
    CorsPolicy,
    HealthEndpoint,
    PrivatePath,
    SecurityPolicy,
    Service,
    ServiceSecurity,
    VersionSource,
)
from monitor.profile.target import Profile
from monitor.profile.validation import ProfileError

__all__ = [
    "FULL_POLICY",
    "HSTS_FLOOR_S",
    "LOAD_SCENARIOS",
    "LOAD_THRESHOLDS",
    "SEVERITIES",
    "AccessRule",
    "AlertChannel",
    "AlertPolicy",
    "AuthPolicy",
    "CorsPolicy",
    "GatePolicy",
    "HealthEndpoint",
    "JourneyPolicy",
    "LatencyObjective",
    "LoadPolicy",
    "LoadThreshold",
    "MaintenanceWindow",
    "MetricsPolicy",
    "MissingSecret",
    "PrivatePath",
    "Profile",
    "ProfileError",
    "RateLimitRule",
    "RequestPolicy",
    "RunDeadlines",
    "Runbook",
    "SLOPolicy",
    "SecurityPolicy",
    "Secrets",
    "Service",
    "ServiceSecurity",
    "StatusPagePolicy",
    "TLSPolicy",
    "ValidationRule",
    "VersionSource",
    "available_targets",
    "load_profile",
    "parse_url_options",
    "request_headers",
    "resolve_target_name",
    "targets_dir",
    "url_overrides_from_env",
]
