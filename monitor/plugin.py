"""The pytest plugin behind every suite: target profiles, the sandbox, safety, and results.

* ``--target NAME`` (or ``SLURPY_TARGET``) picks ``targets/NAME.toml``; a bad profile stops the
  run before any test, one line per problem.
* A ``sandbox = true`` profile starts the local sandbox (once, shared by xdist workers) and
  points every service at it, unless ``SLURPY_SANDBOX_STATE`` names one that already runs.
* Safety, as pytest-selenium does it: on a sensitive profile every test not marked
  ``nondestructive`` is skipped unless the profile allows destructive tests; ``budget`` tests
  are skipped unless it allows budget spending. The skip says why.
* Every check's :class:`~monitor.results.CheckResult` is gathered (from workers too) into one
  JSON-lines file and a per-check summary at the end of the run.
"""
from __future__ import annotations

import os
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import pytest

from monitor import redact
from monitor.probe import Probe
from monitor.profile import (
    Profile,
    ProfileError,
    load_profile,
    parse_url_options,
    resolve_target_name,
    url_overrides_from_env,
)
from monitor.results import Category, CheckResult, Verdict, write_jsonl
from monitor.sandbox import STATE_ENV, Sandbox, SandboxError, Starting
from monitor.sandbox.faults import parse_fault_option

RESULTS_KEY = "check_result"
MONITORED_KEY = "monitored"  # set on items that check the target, so self-tests leave no records


class MonitorWarning(UserWarning):
    """A check that passed but needs attention (its verdict is ``warn``)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("slurpy monitor")
    group.addoption("--target", default=None, help="target profile: targets/NAME.toml (default: $SLURPY_TARGET or sandbox)")
    group.addoption("--url", action="append", default=[], metavar="SERVICE=URL",
                    help="override a service's base URL, e.g. a preview deployment (also $SLURPY_URL_<SERVICE>)")
    group.addoption("--sandbox-fault", action="append", default=[], metavar="NAME[:key=value]",
                    help="start the sandbox with this fault switched on (repeatable; see `slurpy-sandbox faults`)")
    group.addoption("--results", default=None, metavar="PATH",
                    help="where to write this run's check results (JSON lines); default results/<time>-<target>.jsonl")


class MonitorSession:
    def __init__(self, config: pytest.Config):
        self.config = config
        self.target = resolve_target_name(config.getoption("target"))
        self.url_overrides = {**url_overrides_from_env(os.environ), **parse_url_options(config.getoption("url"))}
        self.profile = load_profile(self.target, url_overrides=self.url_overrides)
        self.sandbox: Sandbox | None = None
        self.starting: Starting | None = None
        self.results: list[CheckResult] = []
        self._recorded: set[str] = set()
        started = datetime.now(timezone.utc)
        self.results_path = Path(config.getoption("results") or
                                 f"results/{started:%Y%m%dT%H%M%SZ}-{self.target}.jsonl")

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def ensure_sandbox(self) -> None:
        """Start or join the sandbox when the profile asks for one; idempotent."""
        if not self.profile.sandbox or self.sandbox is not None:
            return
        if os.environ.get(STATE_ENV):
            self.sandbox = Sandbox.attach(os.environ[STATE_ENV])
            for option in self.config.getoption("sandbox_fault"):
                name, params = parse_fault_option(option)
                self.sandbox.switch_on(name, **params)
        else:
            self.sandbox = (self.starting or Starting(self.config.getoption("sandbox_fault"))).wait()
            self.sandbox.export()
            self.config.add_cleanup(self._stop_sandbox)
        self.profile = self.sandbox.target_profile(self.target, self.url_overrides)

    def discard_unused_start(self) -> None:
        """A run that never needed the sandbox it launched (say, --collect-only) stops it."""
        if self.starting is not None and self.sandbox is None:
            self.starting.process.terminate()
            self.starting.process.wait(timeout=15)

    def _stop_sandbox(self) -> None:
        os.environ.pop(STATE_ENV, None)
        if self.sandbox is not None:
            self.sandbox.stop()

    # -- results (hooks: this object is registered as a plugin) ------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Gather the checks a test recorded; a test that recorded none still leaves a record
        (skipped, or the monitor itself broke), so the history has no silent gaps."""
        if (MONITORED_KEY, True) not in report.user_properties:
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            recorded = [CheckResult.from_dict(v) for k, v in report.user_properties if k == RESULTS_KEY]
            if recorded:
                self.results.extend(recorded)
            elif report.nodeid not in self._recorded:
                self.results.append(self._synthesize(report))
            self._recorded.add(report.nodeid)

    def _synthesize(self, report: pytest.TestReport) -> CheckResult:
        name = report.nodeid.split("::")[-1]
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            return CheckResult(check=name, service="", target=self.target, verdict=Verdict.SKIP,
                               message=reason.removeprefix("Skipped: "))
        verdict = Verdict.PASS if report.passed else Verdict.ERROR
        text = getattr(report.longrepr, "reprcrash", None)
        message = text.message if text is not None else str(report.longrepr or "passed").splitlines()[-1]
        return CheckResult(check=name, service="", target=self.target, verdict=verdict,
                           category=None if report.passed else Category.MONITOR, message=message)

    def pytest_sessionfinish(self) -> None:
        if self.results:
            write_jsonl(self.results_path, self.results)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.results:
            terminalreporter.section("slurpy monitor summary")
            for line in self.summary_lines():
                terminalreporter.write_line(line)

    def summary_lines(self) -> list[str]:
        counts = {v: sum(r.verdict is v for r in self.results) for v in Verdict}
        tally = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)
        lines = [f"Slurpy monitor: target {self.target}: {len(self.results)} checks: {tally}",
                 f"results: {self.results_path}"]
        order = {Verdict.FAIL: 0, Verdict.ERROR: 1, Verdict.WARN: 2, Verdict.FLAKY: 3, Verdict.SKIP: 4, Verdict.PASS: 5}
        for result in sorted(self.results, key=lambda r: (order[r.verdict], r.id)):
            latency = f"{result.latency_ms:6.0f} ms" if result.latency_ms is not None else " " * 9
            lines.append(f"  {result.verdict.value.upper():5} {result.id:36} {latency}  {result.message}")
        return lines


def _session(config: pytest.Config) -> MonitorSession:
    return config.stash[_KEY]


_KEY = pytest.StashKey[MonitorSession]()


def pytest_configure(config: pytest.Config) -> None:
    try:
        session = MonitorSession(config)
    except ProfileError as exc:
        raise pytest.UsageError("bad target profile:\n  " + "\n  ".join(exc.lines)) from None
    config.stash[_KEY] = session
    if not session.is_worker:  # workers' reports reach the controller, which gathers them all
        config.pluginmanager.register(session, "slurpy-monitor-results")
    # A run of the monitoring suites launches the sandbox now, so that it boots while pytest
    # imports and collects; the first fixture that needs it waits for it.
    if (session.profile.sandbox and not session.is_worker and not os.environ.get(STATE_ENV)
            and _only_suites(config)):
        session.starting = Starting(config.getoption("sandbox_fault"))
        config.add_cleanup(session.discard_unused_start)
    # Under xdist the controller brings up the one sandbox its workers share (they inherit the
    # environment that names it).
    if getattr(config.option, "dist", "no") != "no" and not session.is_worker:
        try:
            session.ensure_sandbox()
        except SandboxError as exc:
            raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Scrub this process's secrets from the artifacts pytest-playwright kept (traces, logs)."""
    output = session.config.getoption("output", default=None)
    if output:
        redact.scrub_tree(Path(output))


def _only_suites(config: pytest.Config) -> bool:
    """Every path this run was given lies under the monitoring suites (``tests/``)."""
    suites = config.rootpath / "tests"
    paths = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    return bool(paths) and all(path == suites or suites in path.parents for path in paths)


def pytest_report_header(config: pytest.Config) -> str:
    profile = _session(config).profile
    kind = "sensitive" if profile.sensitive else "not sensitive"
    return f"target: {profile.name} ({kind}){' [sandbox]' if profile.sandbox else ''}"


def _parameters(profile: Profile) -> dict[str, list[tuple[str, object]]]:
    """Test arguments the suites are parametrized over, each value with a readable id."""
    services = profile.services.items()
    return {
        "service": [(s, s) for s in profile.services],
        "https_service": [(s, s) for s, spec in services if spec.is_https],
        "header_target": [(f"{s}{p}", (s, p)) for s, spec in services for p in spec.security.header_paths],
        "redirect_service": [(s, s) for s, spec in services if spec.security.http_url],
        "cookie_target": [(f"{s}{p}", (s, p)) for s, spec in services for p in spec.security.cookie_paths],
        "cors_service": [(s, s) for s, spec in services if spec.security.cors_path and profile.cors.allowed_origins],
        "page_service": [(s, s) for s, spec in services if spec.security.pages],
        "rate_limit_rule": [(f"{r.service} {r.method} {r.path}", r) for r in profile.rate_limits],
        "validation_rule": [(f"{r.service} {r.method} {r.path}", r) for r in profile.validation],
    }


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = _session(metafunc.config).profile
    if "health_endpoint" in metafunc.fixturenames:
        pairs = [(s, e) for s, spec in profile.services.items() for e in spec.health]
        metafunc.parametrize("service,health_endpoint", pairs, ids=[f"{s}{e.path}" for s, e in pairs])
        return
    for name, cases in _parameters(profile).items():
        if name in metafunc.fixturenames:
            # An empty list makes pytest skip the test with "got empty parameter set": the
            # profile does not ask for this check on any service.
            metafunc.parametrize(name, [value for _, value in cases], ids=[i for i, _ in cases])
            return


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "profile" in getattr(item, "fixturenames", ()):
            item.user_properties.append((MONITORED_KEY, True))
    profile = _session(config).profile
    if not profile.sensitive:
        return
    where = f"targets/{profile.name}.toml"
    for item in items:
        if item.get_closest_marker("budget") and not profile.allow_budget:
            item.add_marker(pytest.mark.skip(reason=f"target {profile.name} is sensitive and this test spends its "
                                                    f"rate-limit/money budget; set allow_budget = true in {where} to run it"))
        elif not item.get_closest_marker("nondestructive") and not profile.allow_destructive:
            item.add_marker(pytest.mark.skip(reason=f"target {profile.name} is sensitive and this test is destructive "
                                                    f"(not marked nondestructive); set allow_destructive = true in {where} to run it"))


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    """The target profile, with service URLs pointing at the sandbox when the target is one."""
    session = _session(pytestconfig)
    try:
        session.ensure_sandbox()
    except SandboxError as exc:
        pytest.exit(str(exc), returncode=3)
    return session.profile


@pytest.fixture(scope="session")
def probe(profile: Profile) -> Iterator[Probe]:
    probe = Probe(profile)
    yield probe
    probe.close()


@pytest.fixture
def verdict(request: pytest.FixtureRequest) -> Callable[[CheckResult], CheckResult]:
    """Record a check's result for the run's history, then fail the test with the check's own
    message unless the verdict is ok (pass, flaky or warn; a warn also raises a warning)."""

    def judge(result: CheckResult) -> CheckResult:
        request.node.user_properties.append((RESULTS_KEY, result.to_dict()))
        if result.verdict is Verdict.WARN:
            warnings.warn(MonitorWarning(result.message), stacklevel=2)
        if not result.ok:
            pytest.fail(result.message, pytrace=False)
        return result

    return judge


def read_secret(profile: Profile, logical_name: str) -> str:
    """A secret from the environment variable the profile names for it. Missing: skip with the
    variable's name locally, fail in CI (where a missing secret is a broken setup)."""
    env_name = profile.secrets.get(logical_name)
    if env_name is None:
        pytest.fail(f"targets/{profile.name}.toml names no environment variable for secret {logical_name!r} "
                    "(add it under [secrets])", pytrace=False)
    value = os.environ.get(env_name)
    if not value:
        message = f"secret {logical_name!r} missing: set environment variable {env_name}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    redact.register(value)
    return value
