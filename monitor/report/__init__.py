"""Reports people already read, made from a run's :class:`~monitor.results.CheckResult` records:
the GitHub step summary (:mod:`.step_summary`), JUnit properties (:mod:`.junit`) and Allure
labels and steps (:mod:`.allure`). Nothing here knows about pytest."""
