"""Uptime, SLOs, error budgets, burn rates and incidents, computed from the results history.

Pure functions (:mod:`.compute`, :mod:`.report`, :mod:`.text`) over the history's one record type
(:class:`monitor.history.observation.Observation`, one check's verdict in one run, and the per-run
summaries) and its expected-run slots; :mod:`.read` is the one place that asks the
:class:`~monitor.history.store.HistoryStore` for them.

May import: :mod:`monitor.history` (its records and queries; the history never imports this
package), :mod:`monitor.profile`, :mod:`monitor.results`. Never pytest, the network, the probe or
a browser (the import contracts in ``pyproject.toml`` hold it to that)."""
