"""Alerts at the end of every run, from the history (``monitor.alerts``): the incidents the
profile's ``[alerts]`` policy finds, the messages they call for on each channel (this run's and
any an earlier run could not deliver), then the heartbeat. What was sent and what could not be is
listed under "slurpy monitor alerts"; an undelivered message is also a run note. Neither ever
changes the run's verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import options
from monitor.pipeline import Run, Sink
from monitor.plugins.history import history_path
from monitor.plugins.target import target_of
from monitor.results import CheckResult, Verdict

_LINES = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser, "alerts")


class AlertSink:
    def __init__(self, config: pytest.Config, run: Run):
        self.config, self.lines = config, config.stash.setdefault(_LINES, [])

    def add(self, run: Run, result: CheckResult) -> None:
        pass

    def close(self, run: Run) -> None:
        profile = target_of(self.config).profile
        if not (profile.alerts.channels or profile.alerts.heartbeat_secret):
            return  # nothing to alert or ping
        # Imported here: a run whose profile alerts nobody never loads the channels (smtplib and the like).
        from monitor.alerts import dispatch
        from monitor.alerts.state import AlertLog, AlertState

        history = history_path(self.config, run)
        text_dir = options.of(self.config).history_dir
        try:
            if history is None:
                if profile.alerts.channels:
                    run.notes.append(
                        "alerts: not evaluated: they are driven by the history, and this run keeps none "
                        "(--history none)"
                    )
            elif profile.alerts.channels:
                outcome = dispatch.evaluate(
                    profile,
                    history,
                    run.finished or run.started,
                    run.run_id,
                    run.results,
                    log_dir=Path(text_dir) if text_dir else None,
                    sync=dispatch.Sync.from_env(),
                )
                self.lines += outcome.lines()
                run.notes += [f"alert {line}" for line in outcome.failed + outcome.unconfirmed]
            counts = {v.value: sum(r.verdict is v for r in run.results) for v in Verdict}
            problem = dispatch.heartbeat(
                profile, dispatch.heartbeat_body(f"run {run.run_id} on {run.target}", counts, dispatch.run_url())
            )
            if profile.alerts.heartbeat_secret and history is not None and text_dir:
                with AlertState(history, log=AlertLog(Path(text_dir))) as state:
                    state.heartbeat(run.target, run.run_id, problem or "", run.finished or run.started)
        except Exception as exc:  # a bug in alerting must not cost the run its verdict or its other sinks
            problem = f"alerts failed: {type(exc).__name__}: {exc}"
        if problem:
            run.notes.append(problem)
        elif profile.alerts.heartbeat_secret:
            self.lines.append("heartbeat sent")


def pytest_slurpy_sinks(config: pytest.Config, run: Run) -> list[Sink]:
    return [] if options.of(config).no_alerts else [AlertSink(config, run)]


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    lines = config.stash.get(_LINES, [])
    if lines:
        terminalreporter.section("slurpy monitor alerts")
        for line in lines:
            terminalreporter.write_line(line)
