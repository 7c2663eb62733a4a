"""``slurpy-monitor check-profile --target NAME``: is the profile right about the deployment? It
loads the profile, says what it contradicts in itself, then runs smoke and security once (no
rate-limit probe, whatever the profile allows; no history, no alerts) and sorts what did not pass
into "fix your profile", "fix your app" and "set up the monitor"
(:mod:`monitor.analysers.profile_fit`)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import options
from monitor.commands.arguments import add_target
from monitor.layout import ROOT, SUITES

# What the check itself needs (the catalogue and the probe behind it, the profile, pytest) is
# imported when it runs: `slurpy-monitor` builds every subcommand's parser on each call.
if TYPE_CHECKING:
    from monitor.analysers.profile_fit import Finding

EXIT_CODES = (
    (0, "nothing to fix"),
    (1, "fix your app (or set up the monitor): the profile looks right"),
    (2, "fix your profile: it does not load, or it says something untrue of the deployment"),
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "check-profile",
        help="is the profile right? smoke and security once, failures sorted into fix your profile / fix your app",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=options.exit_codes_text(EXIT_CODES),
        description="Load the profile, say what it contradicts in itself, run smoke and security once (no rate-limit "
        "probe, no history, no alerts) and sort what did not pass: fix your profile, fix your app, set up "
        "the monitor.",
    )
    add_target(parser)


def main(args: argparse.Namespace) -> int:
    from monitor.profile import resolve_target_name

    return check_profile(resolve_target_name(args.target))


def check_profile(target: str) -> int:
    import pytest

    from monitor.analysers.profile_fit import sort_results, static_mistakes
    from monitor.checks.catalogue import catalogue
    from monitor.profile import ProfileError, load_profile
    from monitor.results import Verdict, read_jsonl

    try:
        profile = load_profile(target)
    except ProfileError as exc:
        print("fix your profile: it does not load:\n  " + "\n  ".join(exc.lines))
        return 2
    print(
        f"targets/{target}.toml loads: {len(profile.services)} services ({', '.join(profile.services)}), "
        f"{len(catalogue(profile))} checks implied"
    )
    with tempfile.TemporaryDirectory(prefix="slurpy-check-profile-") as tmp:
        results_file = Path(tmp) / "results.jsonl"
        code = pytest.main(
            [
                str(SUITES["smoke"]),
                str(SUITES["security"]),
                "--rootdir",
                str(ROOT),
                "--target",
                target,
                "--results",
                str(results_file),
                "--history",
                "none",
                "--no-alerts",
                "-m",
                "not budget",
                "-q",
                "--no-header",
                "-p",
                "no:cacheprovider",
            ]
        )
        results = read_jsonl(results_file) if results_file.exists() else []
    if not results:
        print(f"the run recorded nothing (pytest exit {int(code)}): see its output above")
        return 2 if code == pytest.ExitCode.USAGE_ERROR else 1
    findings = static_mistakes(profile) + sort_results(profile, results)
    print(
        f"\nsmoke and security against {target}, once, without rate-limit probes: "
        + ", ".join(
            f"{sum(r.verdict is v for r in results)} {v.value}" for v in Verdict if any(r.verdict is v for r in results)
        )
    )
    print("\n".join(lines(findings)) if findings else "nothing to fix: the profile fits the deployment")
    if any(f.fix == "profile" for f in findings):
        return 2
    return 1 if findings else 0


def lines(findings: list[Finding]) -> list[str]:
    from monitor.analysers.profile_fit import FIXES

    out: list[str] = []
    for fix, title in FIXES.items():
        chosen = [f for f in findings if f.fix == fix]
        if chosen:
            out.append(f"{title} ({len(chosen)}):")
            out += [f"  {f.check_id}: {f.why}" for f in chosen]
    return out
