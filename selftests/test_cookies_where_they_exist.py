"""Against the sandbox: a page the profile lists for cookies that sets none is inconclusive (the
profile needs fixing), never a pass and never the target's cookie failure; a page that sets one
is judged. The same suite run, the same real HTTP stack."""

from __future__ import annotations

from suite_runner import ROOT, run_suite

from slurpy_sandbox import STATE_ENV

SHIPPED = (ROOT / "targets" / "sandbox.toml").read_text()


def test_a_listed_page_without_a_cookie_is_inconclusive_beside_one_that_is_judged(sandbox, tmp_path):
    sandbox.clear()
    targets = tmp_path / "targets"
    targets.mkdir()
    listed = 'cookie_paths = ["/sign-in"]'
    assert listed in SHIPPED
    (targets / "sandbox.toml").write_text(SHIPPED.replace(listed, 'cookie_paths = ["/sign-in", "/"]'))
    env = {STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox", "SLURPY_TARGETS_DIR": str(targets)}
    run = run_suite("tests/security/test_https.py", tmp_path / "r.jsonl", "-k", "cookie", env=env)
    assert run.not_passing() == {"cookies:frontend:/": ("error", "monitor")}, run.output
    assert "/ answered 200 and sets no cookie: list pages that do" in run.results["cookies:frontend:/"].message
    assert run.returncode == 1, "an inconclusive check leaves the run red: the monitor needs fixing"
