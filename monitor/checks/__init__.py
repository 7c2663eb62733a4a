"""Checks: probe the target, hand what was observed to an analyser, return a CheckResult.

Each kind of check is declared once, beside its function, with its typed arguments
(:mod:`.registry`); the catalogue (:mod:`.catalogue`) lists the cases a profile implies;
:mod:`.envelope` is the one message format (service, URL, verdict, category, words). Test
modules are thin: they run a case (``verdict(case.run(probe))``) and the verdict decides, so the
fault matrix, the benchmarks and the suites all judge a target the same way.

May import: :mod:`monitor.probe`, :mod:`monitor.analysers`, :mod:`monitor.profile`,
:mod:`monitor.results`. Never the plugins, pytest, the sinks (history, alerts, reports, SLO), the
browser or load."""
