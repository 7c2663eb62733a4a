"""The sandbox's side of the seam: for a profile with ``sandbox = true`` it starts the local
stand-in (once per run, shared by xdist workers) or joins the one ``$SLURPY_SANDBOX_STATE`` names,
and hands the monitor the profile pointed at it (``pytest_slurpy_live_profile``).

``--sandbox-fault NAME[:key=value]`` switches faults on for the run.

Pytest finds this module by its ``pytest11`` entry point; the command lines (slurpy-load,
slurpy-sweep) find :func:`for_command` by the ``slurpy_monitor.stand_ins`` one and call the same
hook (sandbox/pyproject.toml)."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from monitor import options
from monitor.plugins.hooks import LiveTarget, StandInError
from monitor.profile import Profile
from slurpy_sandbox import STATE_ENV, Sandbox, SandboxError, Starting
from slurpy_sandbox.faults import UnknownFault, parse_fault_option


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser, "sandbox")


class SandboxPlugin:
    def __init__(self, config: pytest.Config):
        self.config = config
        self.faults: list[str] = options.of(config).sandbox_fault
        self.starting: Starting | None = None
        self.sandbox: Sandbox | None = None

    def launch_early(self) -> None:
        """Launch now, so the sandbox boots while pytest imports and collects; the first test
        that needs it waits for it."""
        self.starting = Starting(self.faults)
        self.config.add_cleanup(self._discard_unused_start)

    def ensure(self) -> Sandbox:
        if self.sandbox is None:
            if os.environ.get(STATE_ENV):
                self.sandbox = Sandbox.attach(os.environ[STATE_ENV])
                for option in self.faults:
                    name, params = parse_fault_option(option)
                    self.sandbox.switch_on(name, **params)
            else:
                self.sandbox = (self.starting or Starting(self.faults)).wait()
                self.sandbox.export()
                self.config.add_cleanup(self._stop)
        return self.sandbox

    def _discard_unused_start(self) -> None:
        """A run that never needed the sandbox it launched (say, --collect-only) stops it."""
        if self.starting is not None and self.sandbox is None:
            self.starting.process.terminate()
            self.starting.process.wait(timeout=15)

    def _stop(self) -> None:
        os.environ.pop(STATE_ENV, None)
        if self.sandbox is not None:
            self.sandbox.stop()

    def pytest_slurpy_live_profile(self, profile: Profile, keep: frozenset[str]) -> LiveTarget:
        try:
            sandbox = self.ensure()
        except SandboxError as exc:
            raise StandInError(str(exc)) from None
        return LiveTarget(sandbox.live_profile(profile, keep), sandbox.secrets)


class CommandSandbox:
    """The same hook for a command line: joins the running sandbox (``$SLURPY_SANDBOX_STATE``) or,
    if ``start``, starts one; switches ``faults`` on, and, on a sandbox it joined (shared), off
    again at the end; stops what it started. ``add_cleanup`` runs those at the command's end."""

    def __init__(self, faults: list[str], add_cleanup: Callable[[Callable[[], object]], object], start: bool):
        self.faults, self.add_cleanup, self.start = faults, add_cleanup, start

    @pytest.hookimpl
    def pytest_slurpy_live_profile(self, profile: Profile, keep: frozenset[str]) -> LiveTarget | None:
        try:
            sandbox = self._ensure()
        except (SandboxError, UnknownFault) as exc:
            raise StandInError(str(exc)) from None
        return None if sandbox is None else LiveTarget(sandbox.live_profile(profile, keep), sandbox.secrets)

    def _ensure(self) -> Sandbox | None:
        joined = bool(os.environ.get(STATE_ENV))
        if not joined and not self.start:
            return None
        sandbox = Sandbox.attach(os.environ[STATE_ENV]) if joined else Sandbox.start()
        self.add_cleanup(sandbox.stop)
        for option in self.faults:
            name, params = parse_fault_option(option)
            sandbox.switch_on(name, **params)
            if joined:  # a sandbox it joined is shared: leave it as it was
                self.add_cleanup(partial(sandbox.switch_off, name))
        return sandbox


def for_command(
    faults: list[str], add_cleanup: Callable[[Callable[[], object]], object], start: bool = True
) -> CommandSandbox:
    return CommandSandbox(faults, add_cleanup, start)


def _only_testpaths(config: pytest.Config) -> bool:
    """Every path this run was given lies under the configured testpaths (the suites), so it will
    need the sandbox; a run of anything else (the project's own tests) must not launch one."""
    roots = [config.rootpath / p for p in config.getini("testpaths")]
    paths = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    return bool(paths) and all(any(p == r or r in p.parents for r in roots) for p in paths)


@pytest.hookimpl(trylast=True)  # after the monitor's target plugin has read the profile
def pytest_configure(config: pytest.Config) -> None:
    from monitor.plugins.target import target_of

    if not target_of(config).profile.sandbox:
        return
    plugin = SandboxPlugin(config)
    config.pluginmanager.register(plugin, "slurpy-sandbox")
    if hasattr(config, "workerinput") or os.environ.get(STATE_ENV) or not _only_testpaths(config):
        return
    if config.getoption("dist", "no") != "no" and config.getoption("tx", None):
        # Under xdist the controller brings up the one sandbox its workers share (they inherit
        # the environment that names it). Workers exist only with -n (tx): pyproject's
        # --dist loadgroup alone distributes nothing.
        try:
            plugin.ensure()
        except SandboxError as exc:
            raise pytest.UsageError(str(exc)) from None
    else:
        plugin.launch_early()
