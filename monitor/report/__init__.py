"""Reports people read, made from a run's :class:`~monitor.results.CheckResult` records and the
history: the GitHub step summary (:mod:`.step_summary`), JUnit properties (:mod:`.junit`), Allure
labels and steps (:mod:`.allure`), Prometheus metrics (:mod:`.metrics`), the status page
(:mod:`.status_page`), what it embeds and feeds (badges, ``summary.json``, ``incidents.atom``:
:mod:`.embeds`) and people's incident notes (:mod:`.notes`).

May import: :mod:`monitor.results`, :mod:`monitor.profile`, :mod:`monitor.slo`, the history's
records, :mod:`monitor.pipeline`, :mod:`monitor.cost`, and the catalogue (which check ids a
maintenance window covers). Never pytest (the plugins call in), the network or a browser."""
