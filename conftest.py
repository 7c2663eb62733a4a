# The monitoring suites' plugin: --target profiles, the sandbox, safety skips, check results.
pytest_plugins = ["monitor.plugin"]
