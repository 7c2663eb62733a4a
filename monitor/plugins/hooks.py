"""Hooks the monitor's plugins call and other plugins implement. ``pytest_slurpy_live_profile`` is
also how the command lines reach a stand-in (:mod:`monitor.commands.stand_in`): the monitor never
imports one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # the command lines reach a stand-in through these hooks without loading pytest
    import pytest

    from monitor.pipeline import Run, Sink
    from monitor.profile import Profile

hookspec = pluggy.HookspecMarker("pytest")


@dataclass(frozen=True)
class LiveTarget:
    """A profile pointed at a running stand-in, and the secrets the stand-in made up for itself
    (by the environment variable names the profile uses)."""

    profile: Profile
    secrets: dict[str, str] = field(default_factory=dict)


class StandInError(Exception):
    """The stand-in could not be started or joined (said in one line)."""


def no_stand_in(target: str) -> str:
    return (
        f"targets/{target}.toml says sandbox = true, but no sandbox plugin is installed: the sandbox comes "
        "with the monitor's checkout (uv sync --group sandbox there)"
    )


@hookspec(firstresult=True)
def pytest_slurpy_live_profile(
    config: pytest.Config | None, profile: Profile, keep: frozenset[str]
) -> LiveTarget | None:
    """Called once, when the first test needs the target (or by a command line, ``config`` None),
    for a profile with ``sandbox = true``: start or join the stand-in and return the profile
    pointed at it; raise :class:`StandInError` when it cannot. ``keep``: services the user pointed
    elsewhere with ``--url``."""


def pytest_slurpy_sinks(config: pytest.Config, run: Run) -> list[Sink]:
    """Return sinks that receive this run's check results (besides the JSON-lines file and the
    terminal summary), e.g. a history database or an alert dispatcher."""
    return []


pytest_slurpy_sinks = hookspec(pytest_slurpy_sinks)
