"""The type gate's rule for the project's own code outside monitor/: every helper of the self-tests
and every suite module annotates every function (pyproject.toml lists them by module name, as mypy
names them: mypy's overrides take no pattern like ``test_*``, so a new file must be added there)."""

import tomllib

from monitor.layout import ROOT


def fully_annotated() -> set[str]:
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    return {module for rule in mypy["overrides"] if rule.get("disallow_untyped_defs") for module in rule["module"]}


def test_every_selftests_helper_and_suite_module_is_held_to_full_annotations():
    helpers = {path.stem for path in (ROOT / "selftests").rglob("*.py") if not path.name.startswith("test_")}
    suites = {path.stem for path in (ROOT / "tests").rglob("*.py")}
    missing = sorted((helpers | suites) - fully_annotated())
    assert missing == [], f"add to the disallow_untyped_defs override in pyproject.toml: {missing}"
