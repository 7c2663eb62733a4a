"""Every option a monitoring run takes, defined once, as the fields of :class:`RunOptions`. Each
pytest plugin registers the options it owns (:func:`register`), ``slurpy-monitor run --help`` lists
all of them from the same list (:func:`add_to_argparse`): the help cannot drift from what a run
accepts. A run resolves them once into one :class:`RunOptions` on ``config.stash``
(:func:`of`), which every plugin reads; pytest's and other plugins' own options are read with
``config.getoption``.

Defaults are read from the environment when the options are registered (once per pytest run), not
at import: a long-lived process (``watch``) or a test that sets a variable sees its value."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

# pytest only where a run resolves its options (:func:`of`): the command lines read this list for
# their help and arguments, and most of them never start pytest (``--help``, ``uptime``, ``history``).
if TYPE_CHECKING:
    import pytest


class _Adds(Protocol):
    def addoption(self, *flags: str, **kwargs: Any) -> None: ...


@dataclass(frozen=True)
class RunOption:
    owner: str  # the plugin that gives the option its meaning and registers it
    flag: str
    help: str
    env: str | None = None  # the environment variable that sets its default
    metavar: str | None = None
    action: str | None = None  # "store_true" or "append"
    fallback: Callable[[], Any] | None = None  # the default when the variable is unset

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    def kwargs(self, env: Mapping[str, str]) -> dict[str, Any]:
        also = f" (also ${self.env})" if self.env else ""
        kwargs: dict[str, Any] = {"help": self.help + also}
        if self.metavar:
            kwargs["metavar"] = self.metavar
        if self.action == "store_true":
            kwargs.update(action="store_true", default=bool(env.get(self.env or "")))
        elif self.action == "append":
            kwargs.update(action="append", default=[])
        else:
            fallback = self.fallback() if self.fallback else None
            kwargs["default"] = (env.get(self.env) if self.env else None) or fallback
        return kwargs


def _option(owner: str, help: str, **kwargs: Any) -> Any:
    """A field of :class:`RunOptions` and the option that sets it (``--field-name``)."""
    return field(metadata={"option": (owner, help, kwargs)})


@dataclass(frozen=True)
class RunOptions:
    """The options of this run, as resolved once: by the command line, else the environment, else
    their defaults (an option whose plugin a run left out with ``-p no:...`` keeps its default)."""

    target: str | None = _option(
        "target", "target profile targets/NAME.toml; default: $SLURPY_TARGET, else sandbox", metavar="NAME"
    )
    url: list[str] = _option(
        "target",
        "point a service at another base URL, e.g. a preview deployment (repeatable; also $SLURPY_URL_<SERVICE>)",
        metavar="SERVICE=URL",
        action="append",
    )
    results: str | None = _option(
        "results",
        "where this run's check results go (JSON lines); default results/<time>-<target>.jsonl",
        metavar="PATH",
    )
    deploy_version: str = _option(
        "results",
        "the version just deployed: stamped on every record, checked where services "
        "report it; without --schedule the run is a post-deploy gate ([gate] latency_samples, latency "
        "compared with the baseline)",
        env="SLURPY_DEPLOY_VERSION",
        metavar="VERSION",
        fallback=str,
    )
    runner: str = _option(
        "results",
        "where this run runs, stamped on every record; default the host name",
        env="SLURPY_RUNNER",
        metavar="NAME",
        fallback=socket.gethostname,
    )
    schedule: str = _option(
        "results",
        "the cron line that started this run, or the cadence of a loop ('every "
        "15s'): the history then expects the next run and shows a missed one as unknown",
        env="SLURPY_SCHEDULE",
        metavar="SCHEDULE",
        fallback=str,
    )
    history: str | None = _option(
        "history",
        "SQLite history this run is added to; default history.sqlite beside the results file; 'none' keeps no history",
        env="SLURPY_HISTORY",
        metavar="PATH",
    )
    history_dir: str | None = _option(
        "history",
        "also append this run to the text history in DIR, one JSONL per target per day (for a git data branch)",
        env="SLURPY_HISTORY_DIR",
        metavar="DIR",
    )
    metrics_file: str | None = _option(
        "metrics",
        "write the run's Prometheus metrics here, e.g. /var/lib/node_exporter/textfile/slurpy.prom",
        env="SLURPY_METRICS_FILE",
        metavar="PATH",
    )
    no_alerts: bool = _option(
        "alerts",
        "send no alerts and no heartbeat for this run; the history is kept as always",
        env="SLURPY_NO_ALERTS",
        action="store_true",
    )
    stop_if_unreachable: bool = _option(
        "preflight",
        "probe every service once first; if one does not answer (dns, connect, timeout), record that and run no check",
        action="store_true",
    )
    sandbox_fault: list[str] = _option(
        "sandbox",
        "on the sandbox target: switch this fault on for the run (repeatable; the list: ./run sandbox faults)",
        metavar="NAME[:key=value]",
        action="append",
    )

    @property
    def is_gate(self) -> bool:
        """A post-deploy gate: a run told the version just deployed, and not started by a schedule (a
        scheduled run stamped with the live version is still a scheduled run)."""
        return bool(self.deploy_version) and not self.schedule


OPTIONS = tuple(
    RunOption(owner, "--" + f.name.replace("_", "-"), help, **kwargs)
    for f in dataclasses.fields(RunOptions)
    for owner, help, kwargs in [f.metadata["option"]]
)


@functools.cache
def _resolved() -> pytest.StashKey[RunOptions]:
    import pytest

    return pytest.StashKey[RunOptions]()


def of(config: pytest.Config) -> RunOptions:
    """This run's options, resolved the first time a plugin asks (after pytest parsed the command line)."""
    key = _resolved()
    if key not in config.stash:
        config.stash[key] = RunOptions(
            **{
                option.dest: config.getoption(option.dest, option.kwargs(os.environ).get("default"))
                for option in OPTIONS
            }
        )
    return config.stash[key]


# What a run's exit code means: pytest's own codes, which `slurpy-monitor run` passes on.
EXIT_CODES = (
    (0, "every check passed (or warned, or was skipped with its reason)"),
    (1, "a check failed, or was inconclusive (the monitor could not judge it)"),
    (2, "the run was interrupted"),
    (3, "the monitor itself broke (an internal error, or the sandbox did not start)"),
    (4, "bad usage: an unknown option, or a target profile that does not load (each problem named)"),
    (5, "no check was collected"),
)


def register(parser: Any, owner: str, env: Mapping[str, str] = os.environ) -> None:
    """Add the options ``owner`` gives meaning to, to pytest's "slurpy monitor" option group."""
    group: _Adds = parser.getgroup("slurpy monitor")
    for option in OPTIONS:
        if option.owner == owner:
            group.addoption(option.flag, **option.kwargs(env))


def add_to_argparse(parser: argparse.ArgumentParser, env: Mapping[str, str] = os.environ) -> None:
    group = parser.add_argument_group("options of every run")
    for option in OPTIONS:
        group.add_argument(option.flag, **option.kwargs(env))


def exit_codes_text(codes: tuple[tuple[int, str], ...] = EXIT_CODES) -> str:
    return "exit codes:\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in codes)
