"""Which deployment this run checks: ``--target NAME`` (or ``$SLURPY_TARGET``) picks
``targets/NAME.toml``; ``--url SERVICE=URL`` (or ``$SLURPY_URL_<SERVICE>``) points a service
elsewhere. A bad profile stops the run before any test, one line per problem. A profile with
``sandbox = true`` is made live by whichever plugin implements ``pytest_slurpy_live_profile``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from monitor import options
from monitor.plugins import hooks
from monitor.probe import NetworkSettings, Probe
from monitor.probe.session import AuthError, SessionHeaders, session_headers
from monitor.profile import (
    MissingSecret,
    Profile,
    ProfileError,
    Secrets,
    load_profile,
    parse_url_options,
    resolve_target_name,
    url_overrides_from_env,
)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser, "target")


class Target:
    """The profile as written (known at configure time, enough to collect and to decide safety)
    and, once a test needs it, the live profile and its secrets."""

    def __init__(self, config: pytest.Config):
        self.config = config
        chosen = options.of(config)
        self.name = resolve_target_name(chosen.target)
        self.url_overrides = {**url_overrides_from_env(os.environ), **parse_url_options(chosen.url)}
        self.profile = load_profile(self.name, url_overrides=self.url_overrides)
        Secrets(self.profile)  # registers every secret it names for redaction, read or not
        self._live: hooks.LiveTarget | None = None

    def live(self) -> hooks.LiveTarget:
        if self._live is None:
            if self.profile.sandbox:
                try:
                    answer = self.config.hook.pytest_slurpy_live_profile(
                        config=self.config, profile=self.profile, keep=frozenset(self.url_overrides)
                    )
                except hooks.StandInError as exc:
                    pytest.exit(str(exc), returncode=3)
                if answer is None:
                    raise pytest.UsageError(hooks.no_stand_in(self.name))
                self._live = answer
            else:
                self._live = hooks.LiveTarget(self.profile)
            Secrets(self._live.profile, provided=self._live.secrets)  # and those a stand-in made up
            if options.of(self.config).is_gate:  # enough samples for a p95
                gated = self._live.profile.model_copy(
                    update={"latency_samples": self._live.profile.gate.latency_samples}
                )
                self._live = hooks.LiveTarget(gated, self._live.secrets)
        return self._live


_TARGET = pytest.StashKey[Target]()


def target_of(config: pytest.Config) -> Target:
    return config.stash[_TARGET]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    try:
        config.stash[_TARGET] = Target(config)
    except ProfileError as exc:
        raise pytest.UsageError("bad target profile:\n  " + "\n  ".join(exc.lines)) from None


def pytest_report_header(config: pytest.Config) -> str:
    profile = target_of(config).profile
    kind = "sensitive" if profile.sensitive else "not sensitive"
    return f"target: {profile.name} ({kind}){' [sandbox]' if profile.sandbox else ''}"


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    """The target profile, live: pointing at the sandbox when the target is one."""
    return target_of(pytestconfig).live().profile


@pytest.fixture(scope="session")
def request_headers(profile: Profile, read_secret: Callable[[str], str]) -> dict[str, str]:
    """The profile's ``[request] headers`` (a protected preview's bypass), their values read from
    the secrets they name: registered for scrubbing, and missing ones skip locally, fail in CI."""
    return {header: read_secret(name) for header, name in profile.request.secret_names.items()}


@pytest.fixture(scope="session")
def network(profile: Profile, request_headers: dict[str, str]) -> NetworkSettings:
    """The profile's network settings, with its request headers for the services they go to."""
    return NetworkSettings.from_profile(profile, request_headers)


@pytest.fixture(scope="session")
def probe(network: NetworkSettings) -> Iterator[Probe]:
    """Anonymous requests with the profile's network settings."""
    probe = Probe(network)
    yield probe
    probe.close()


@pytest.fixture(scope="session")
def read_secret(pytestconfig: pytest.Config, profile: Profile) -> Callable[[str], str]:
    """``read_secret("monitor_password")``: the value of the environment variable the profile
    names. Missing: the test skips with the variable's name locally and fails in CI."""
    secrets = Secrets(profile, provided=target_of(pytestconfig).live().secrets)

    def read(logical_name: str) -> str:
        try:
            return secrets.get(logical_name)
        except MissingSecret as exc:
            if exc.fatal:
                pytest.fail(str(exc), pytrace=False)
            pytest.skip(str(exc))

    return read


@pytest.fixture(scope="session")
def signed_in_probe(profile: Profile, read_secret: Callable[[str], str], network: NetworkSettings) -> Iterator[Probe]:
    """Requests as the monitor account, for sign-in-first routes: the bearer token from ``[auth]``
    (fetched once, refreshed when it expires) and the CSRF headers the app asks for. The sign-in
    happens here, once: if it is refused, every check that needed it reports why."""
    token_probe = Probe(network)  # kept open: refreshes go through it
    try:
        session = session_headers(profile, read_secret, token_probe)
        refused = _sign_in(session)
        if refused:
            pytest.fail(f"could not sign in the monitor for signed-in probes: {refused}", pytrace=False)
        probe = Probe(network, session=session)
        yield probe
        probe.close()
    finally:
        token_probe.close()


def _sign_in(session: SessionHeaders) -> str | None:
    """Sign in now; why it was refused, if it was."""
    try:
        session()
    except AuthError as exc:
        return str(exc)
    return None
