"""Alerting: incidents derived from the results history (:mod:`.policy`), messages and their
delivery state kept in the history database (:mod:`.state`), the channels that carry them
(:mod:`.channels`), the end-of-run step that ties them together (:mod:`.dispatch`), and the
multi-window burn-rate alerts (from :mod:`monitor.slo`, in :mod:`.dispatch`). Nothing here knows about pytest."""
