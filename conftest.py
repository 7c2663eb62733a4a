# The monitor's plugins are pytest11 entry points (pyproject.toml); the sandbox's is registered here.
pytest_plugins = ["slurpy_sandbox.pytest_plugin"]
