"""The browser's room: everything the journeys do in Chromium, and the accounts they do it with.

* :mod:`.journeys`     the journey recorder (which step broke, what the page showed) and the
  monitor account's sign-in (:class:`~.journeys.SignedIn` / :class:`~.journeys.SignInFailed`);
* :mod:`.pages`        page objects: locators defined once, by role and label; actions that navigate
  return the next page object; no assertions, no sleeps (Playwright waits);
* :mod:`.stream_timing` a streamed reply timed from Chromium's own network events (CDP);
* :mod:`.accounts`     synthetic accounts: the target's test-account API and its test inbox;
* :mod:`.trust`        a profile's private CA trusted by this run's Chromium only (a fresh NSS database);
* :mod:`.chromium`     which Chromium is launched (Playwright's own, else Debian's) and with which flags;
* :mod:`.fixtures`     the pytest plugin the journeys run on: pytest-playwright's fixtures extended by
  name (launch and context arguments), ``journey``, the monitor account's session, synthetic users.

What it may import: the profile, the results, :mod:`monitor.redact`, the pure analysers, the probe
(the test-account API is called through it) and the run deadline; the fixtures plugin also the
target plugin (:mod:`monitor.plugins.target`), as every plugin does. Never the sandbox (``slurpy_sandbox``), the
suites (``tests``), the project's own tests (``selftests``), the commands (:mod:`monitor.commands`;
``slurpy-sweep`` uses :mod:`.accounts`, not the other way round), load, the checks or the sinks
(history, alerts, reports, SLO): the import contracts in ``pyproject.toml`` hold it to that.
"""
