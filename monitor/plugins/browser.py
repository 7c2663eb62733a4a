"""The journeys' fixtures (:mod:`monitor.browser.fixtures`) extend pytest-playwright's by name
(``browser_type_launch_args``, ``browser_context_args``), which works only if they are registered
after it: the later registration is the one a test gets, and it receives the earlier to extend.
Entry points load in the order of the installed distributions (the file system's), so this plugin
registers the fixtures module once every entry point is in, when pytest configures the run.
``-p no:monitor.browser.fixtures`` (or ``-p no:monitor.plugins.browser``) leaves them out."""

from __future__ import annotations

import pytest

FIXTURES = "monitor.browser.fixtures"


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.import_plugin(FIXTURES)
