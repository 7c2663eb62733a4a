"""How a command line (slurpy-load, slurpy-sweep) reaches the stand-in a profile with
``sandbox = true`` asks for: through the hook a pytest run calls
(:func:`monitor.plugins.hooks.pytest_slurpy_live_profile`), implemented by what the installed
stand-ins offer under the ``slurpy_monitor.stand_ins`` entry points (the sandbox, installed in a
checkout as its own distribution: sandbox/pyproject.toml). The monitor never imports the
sandbox; where none is installed (the monitor's wheel alone) the command says so in one line."""

from __future__ import annotations

from contextlib import ExitStack
from importlib.metadata import entry_points

import pluggy

from monitor.plugins import hooks
from monitor.profile import Profile

GROUP = "slurpy_monitor.stand_ins"


def live_target(
    profile: Profile, keep: frozenset[str], faults: list[str], cleanup: ExitStack, start: bool = True
) -> hooks.LiveTarget | None:
    """The profile pointed at the stand-in, and its secrets; None when ``start`` is false and none
    is running. What the stand-in started or switched on is undone when ``cleanup`` closes.
    Raises :class:`hooks.StandInError` (one line) when there is none or it cannot start."""
    found = entry_points(group=GROUP)
    if not found:
        raise hooks.StandInError(hooks.no_stand_in(profile.name))
    manager = pluggy.PluginManager("pytest")
    manager.add_hookspecs(hooks)
    for entry in found:
        manager.register(entry.load()(faults, cleanup.callback, start), entry.name)
    return manager.hook.pytest_slurpy_live_profile(config=None, profile=profile, keep=keep)
