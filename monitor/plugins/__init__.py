"""The pytest plugins behind every suite, one concern each (as pytest-selenium splits its own).
This package is the ``slurpy_monitor`` ``pytest11`` entry point (pyproject.toml): wherever the
package is installed, pytest loads it and it registers the plugins below, in the order of
:data:`pytest_plugins`; ``-p no:monitor.plugins.<name>`` leaves one out.

* :mod:`.target`   ``--target``/``--url``, the profile, the probe and secrets fixtures, and the
  hook a stand-in (the sandbox) implements to turn a profile into a live one;
* :mod:`.safety`   default-deny on sensitive targets;
* :mod:`.params`   tests marked ``@pytest.mark.check(kind)`` are parametrized from the catalogue;
* :mod:`.budget`   checks that spend one limiter budget share an xdist worker, limit probes last;
* :mod:`.results`  the ``verdict`` fixture and the run's results pipeline (sinks by hook);
* :mod:`.artifacts` kept traces and logs scrubbed of the run's secrets;
* :mod:`.history`  the run kept in the SQLite history and the text history (sinks);
* :mod:`.metrics`  the run's Prometheus metrics (textfile collector, Pushgateway), a sink;
* :mod:`.alerts`   incidents from the history, messages to the profile's channels, the heartbeat;
* :mod:`.reports`  the GitHub step summary, JUnit properties, Allure labels and steps;
* :mod:`.preflight` ``--stop-if-unreachable``: one probe per service before any check;
* :mod:`.cost`     ``max_requests_per_run``: the checks left once a run has sent that many requests are skipped;
* :mod:`.deploy`   the version check of a post-deploy gate, run when ``--deploy-version`` is given;
* :mod:`.deadline` the run deadline per suite: checks it cuts off, or that start after it, are the monitor's error;
* :mod:`.browser`  registers :mod:`monitor.browser.fixtures` (the journeys' browser, accounts and
  ``journey`` fixture, in the browser's room) after every entry point, so they extend pytest-playwright's;
* :mod:`.startup`  the objects of the process's start-up kept out of the garbage collector's passes.

The plugins are the pytest side of the monitor: they may import any room but the commands, and
hold only the pytest plumbing (options, fixtures, hooks); the work is done in the rooms, which
never import pytest or a plugin back.
"""

# The order the plugins' hooks rely on (pluggy calls the later-registered first): the history checks
# --schedule before the results plugin opens the run's sinks; the sinks come in the order alerts,
# metrics, history, then the reports (trylast), and close in it; the deadline's report wrapper is
# the outermost. Entry points load in the file system's order of the installed distributions (and
# hatchling sorts a distribution's by name), so the order lives here, in one list.
pytest_plugins = [
    "monitor.plugins.target",
    "monitor.plugins.safety",
    "monitor.plugins.params",
    "monitor.plugins.budget",
    "monitor.plugins.results",
    "monitor.plugins.artifacts",
    "monitor.plugins.history",
    "monitor.plugins.metrics",
    "monitor.plugins.alerts",
    "monitor.plugins.reports",
    "monitor.plugins.preflight",
    "monitor.plugins.deploy",
    "monitor.plugins.cost",
    "monitor.plugins.deadline",
    "monitor.plugins.browser",
    "monitor.plugins.startup",
]
