"""A throwaway suite and profile run in-process with the monitor's plugins (pytester; they come from
the package's entry point, as in any run), the way the plugin tests share: profile ``t``, the test
module, then ``run(*pytest args)``."""

from __future__ import annotations

from collections.abc import Callable

import pytest


def plugin_suite(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, profile: str, module: str, conftest: str = ""
) -> Callable[..., pytest.RunResult]:
    targets = pytester.mkdir("targets")
    (targets / "t.toml").write_text(profile)
    monkeypatch.setenv("SLURPY_TARGETS_DIR", str(targets))
    # A local run: no target chosen elsewhere, not in CI (a missing secret would fail), no step summary.
    for name in ("SLURPY_TARGET", "CI", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    if conftest:
        pytester.makeconftest(conftest)
    pytester.makepyfile(test_suite=module)

    def run(*args: str) -> pytest.RunResult:
        # In-process, without pytest-playwright, whose soft-assertion scope cannot nest in ours.
        return pytester.runpytest("--target", "t", "-p", "no:cacheprovider", "-p", "no:playwright", *args)

    return run
