"""``slurpy-monitor run SUITE... [options]``: ``pytest tests/<suite>...`` with the reports a scheduler
wants (JUnit XML, Allure results) switched on: the same plugins, so the same records as a
developer's ``pytest tests/smoke --target staging``. Any other pytest option is passed on."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor import options
from monitor.layout import ROOT, SUITES


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "run",
        help="run suites against a target",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the suites against a target, with JUnit XML and Allure results in results/.",
        epilog="Any other pytest option is passed on: -n auto (in parallel), -k EXPR, -x, --collect-only.\n\n"
        + options.exit_codes_text(),
    )
    parser.add_argument(
        "suites", nargs="+", choices=[*SUITES, "all"], metavar="SUITE", help=f"{', '.join(SUITES)} or all"
    )
    options.add_to_argparse(parser)


def has_option(options: list[str], name: str) -> bool:
    return any(o == name or o.startswith(name + "=") for o in options)


def run(suites: list[str], options: list[str]) -> int:
    import pytest

    chosen = list(SUITES) if "all" in suites else list(dict.fromkeys(suites))
    argv = [str(SUITES[s]) for s in chosen] + ["--rootdir", str(ROOT)]
    reports = Path("results")
    if not has_option(options, "--junitxml"):
        argv.append(f"--junitxml={reports / 'junit.xml'}")
    if not has_option(options, "--alluredir"):  # a clean folder each run; the trend is kept by Allure (allurerc.mjs)
        argv += [f"--alluredir={reports / 'allure-results'}", "--clean-alluredir"]
    return int(pytest.main(argv + options))
