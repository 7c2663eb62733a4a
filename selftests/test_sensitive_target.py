"""The security suite against the sandbox described as a sensitive (production) target: the
rate-limit probes, which spend the target's budget, are skipped with a reason; the rest runs."""

from suite_runner import ROOT, run_suite

from monitor.profile import load_profile


def test_budget_tests_are_skipped_on_a_sensitive_target_unless_it_opts_in(sandbox, tmp_path):
    sandbox.clear()
    profile = (ROOT / "targets" / "sandbox.toml").read_text()
    targets = tmp_path / "targets"
    targets.mkdir()
    (targets / "sandbox.toml").write_text(
        profile.replace("sensitive = false", "sensitive = true").replace("allow_budget = true", "allow_budget = false")
    )
    env = {
        "SLURPY_SANDBOX_STATE": str(sandbox.state_file),
        "SLURPY_TARGET": "sandbox",
        "SLURPY_TARGETS_DIR": str(targets),
    }
    run = run_suite("tests/security", tmp_path / "r.jsonl", "-rs", env=env)
    skipped = [r for r in run.results.values() if r.verdict.value == "skip"]
    assert len(skipped) == len(load_profile("sandbox").rate_limits) == 3, run.output
    assert all(
        "spends its rate-limit/money budget; set allow_budget = true in targets/sandbox.toml" in r.message
        for r in skipped
    )
    assert all(r.verdict.value == "pass" for r in run.results.values() if r not in skipped), run.output
    assert run.returncode == 0, run.output
