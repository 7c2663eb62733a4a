"""Uptime, SLOs, error budgets, burn rates and incidents, computed from the results history.

Pure functions over :class:`~monitor.slo.compute.Observation` records (one check's verdict in one
run) and the history's expected-run slots: nothing here touches pytest, the network or a file.
:func:`monitor.slo.read.observations` loads the records from a :class:`HistoryStore`."""
