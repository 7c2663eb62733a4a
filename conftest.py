# The monitor's plugins (one concern each), registered explicitly. The sandbox's plugin comes with
# its own distribution (sandbox/pyproject.toml, a pytest11 entry point): installed in a checkout only.
from monitor.plugins import PLUGINS

pytest_plugins = [*PLUGINS]
