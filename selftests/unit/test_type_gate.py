"""The type gate's rule for the project's own code outside monitor/: every helper of the self-tests,
the testkit and every suite module annotate every function. pyproject.toml lists them by module
name, as mypy names them (a file of selftests/ or tests/ by its file name, as pytest imports it);
mypy's overrides take no pattern like ``test_*``, so a new helper or suite module must be added there."""

import tomllib
from typing import Any

from monitor.layout import ROOT


def fully_annotated(module: str, rules: list[dict[str, Any]]) -> bool:
    for rule in rules:
        if rule.get("disallow_untyped_defs"):
            for pattern in rule["module"]:
                package = pattern.removesuffix(".*")
                if module == pattern or (pattern.endswith(".*") and (module + ".").startswith(package + ".")):
                    return True
    return False


def modules() -> list[str]:
    selftests_helpers = [p.stem for p in (ROOT / "selftests").rglob("*.py") if not p.name.startswith("test_")]
    suites = [p.stem for p in (ROOT / "tests").rglob("*.py")]
    testkit = [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "testkit").rglob("*.py")]
    return [m.removesuffix(".__init__") for m in selftests_helpers + suites + testkit]


def test_every_helper_the_testkit_and_every_suite_module_are_held_to_full_annotations():
    rules = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    missing = sorted(m for m in modules() if not fully_annotated(m, rules))
    assert missing == [], f"add to the disallow_untyped_defs override in pyproject.toml: {missing}"


def test_the_rule_reads_patterns_as_mypy_does():
    rules: list[dict[str, Any]] = [
        {"module": ["testkit.*", "suite_runner"], "disallow_untyped_defs": True},
        {"module": ["test_cors"]},
    ]
    assert fully_annotated("testkit", rules) and fully_annotated("testkit.receivers", rules)
    assert fully_annotated("suite_runner", rules)
    assert not fully_annotated("testkits", rules) and not fully_annotated("test_cors", rules)
