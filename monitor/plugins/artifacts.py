"""Nothing the run leaves behind holds a secret (``monitor/redact.py`` is the one way to scrub):
every secret the profile names is registered when the run starts (by the target plugin); log
records are scrubbed as they are made, the terminal as it is written, and test reports as they
are made (pytest's output, JUnit, what xdist workers send). After everything else has finished
with them, kept artifacts (traces, logs), the JUnit file and the Allure results are scrubbed too:
a secret read late in the run (a session token) is gone from them as well."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import redact


def pytest_configure(config: pytest.Config) -> None:
    redact.install_log_filter()


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    writer = getattr(reporter, "_tw", None)
    if writer is not None and not getattr(writer, "_slurpy_scrubbed", False):
        write = writer.write

        def scrubbed(msg: str, **kwargs: bool) -> None:
            write(redact.text(msg), **kwargs)

        setattr(writer, "write", scrubbed)  # noqa: B010 (mypy: a method cannot be assigned)
        writer._slurpy_scrubbed = True


def _scrub_longrepr(longrepr: object) -> object:
    if longrepr is None:
        return None
    if isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        return tuple(redact.text(part) if isinstance(part, str) else part for part in longrepr)
    shown = str(longrepr)
    clean = redact.text(shown)
    return longrepr if clean == shown else clean  # keep pytest's own rendering unless it held a secret


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    report.longrepr = _scrub_longrepr(report.longrepr)  # type: ignore[assignment]
    report.sections = [(title, redact.text(content)) for title, content in report.sections]
    report.user_properties = [(name, redact.scrub_json(value)) for name, value in report.user_properties]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    output = config.getoption("output", default=None)
    if output:
        redact.scrub_tree(Path(output))
    if hasattr(config, "workerinput"):  # the controller writes the reports, once every worker is done
        return
    for report in (config.getoption("xmlpath", None), config.getoption("allure_report_dir", None)):
        if report:
            redact.scrub_tree(Path(report))
