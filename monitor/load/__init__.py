"""Load's machinery: the shapes of a run, its records and Locust's processes.

The load suite itself lives at the top of the checkout, like the other suites' folders (the
folders are the taxonomy): ``load/locustfile.py``, the Locust users that model Slurpy's traffic
and the verdict at the end, and ``load/shapes.py``, the one ``LoadTestShape``. Locust loads them
by path, in its own processes (:data:`monitor.layout.LOCUSTFILE`); nothing here imports them.

* :mod:`.plan`       the shapes as pure schedules: a step ramp, a capacity search;
* :mod:`.records`    a run's CheckResult records and the tables printed at its end;
* :mod:`.run`        Locust's processes: one, or a master and N workers, Ctrl-C to the master.

The command is ``slurpy-load`` (:mod:`monitor.commands.load`). The judges (a group's statistics
against its thresholds, the budget and bounds refusals) stay in :mod:`monitor.analysers.load`: they
are pure like every analyser, held to the same import rule (no network, no probe, no Locust) and
unit-tested the same way; everything here reads its verdicts from them.

Only the suite's files import Locust (gevent patches the process it is imported into: never
pytest's); nothing in this package does.

May import: :mod:`monitor.analysers`, :mod:`monitor.profile`, :mod:`monitor.results`,
:mod:`monitor.pipeline`, :mod:`monitor.layout`, the checks' message format
(:mod:`monitor.checks.envelope`). Never pytest, the plugins, the browser or the commands."""
