"""The sandbox's side of the seam: for a profile with ``sandbox = true`` it starts the local
stand-in (once per run, shared by xdist workers) or joins the one ``$SLURPY_SANDBOX_STATE`` names,
and hands the monitor the profile pointed at it (``pytest_slurpy_live_profile``).

``--sandbox-fault NAME[:key=value]`` switches faults on for the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor import options
from monitor.plugins.hooks import LiveTarget
from monitor.profile import Profile
from slurpy_sandbox import STATE_ENV, Sandbox, SandboxError, Starting
from slurpy_sandbox.faults import parse_fault_option


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

    def pytest_slurpy_live_profile(self, config: pytest.Config, profile: Profile, keep: frozenset[str]) -> LiveTarget:
        try:
            sandbox = self.ensure()
        except SandboxError as exc:
            pytest.exit(str(exc), returncode=3)
        return LiveTarget(sandbox.live_profile(profile, keep), sandbox.secrets)


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
    if hasattr(config, "workerinput") or os.environ.get(STATE_ENV):
        return
    if config.getoption("dist", "no") != "no" and config.getoption("tx", None):
        # Under xdist the controller brings up the one sandbox its workers share (they inherit
        # the environment that names it). Workers exist only with -n (tx): pyproject's
        # --dist loadgroup alone distributes nothing.
        try:
            plugin.ensure()
        except SandboxError as exc:
            raise pytest.UsageError(str(exc)) from None
    elif _only_testpaths(config):
        plugin.launch_early()
