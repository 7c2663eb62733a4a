"""Alerting: incidents derived from the results history (:mod:`.policy`), what to do about them
(:mod:`.guidance`: owner, runbook, the command that reproduces a check), messages and their
delivery state (:mod:`.state`, kept by :mod:`monitor.history.alert_store` and as text on the data
branch), the channels that carry them (:mod:`.channels`), and the end-of-run step that ties them
together with the multi-window burn-rate alerts (:mod:`.dispatch`).

May import: :mod:`monitor.history`, :mod:`monitor.slo`, :mod:`monitor.profile`,
:mod:`monitor.results`, :mod:`monitor.redact`, and the probe's deadline and error words (a channel
is a network call, bounded like a probe's). Never pytest (the alerts plugin and ``slurpy-monitor
alerts`` call in), the checks, the browser or the commands."""
