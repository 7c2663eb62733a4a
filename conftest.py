# The monitor's plugins (one concern each) and the sandbox's, registered explicitly.
from monitor.plugins import PLUGINS

pytest_plugins = [*PLUGINS, "slurpy_sandbox.pytest_plugin"]
