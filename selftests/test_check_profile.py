"""`slurpy-monitor check-profile` against the sandbox: a profile with the mistakes a first
adopter makes (a cookie page that sets no cookie, a health endpoint also listed private, a health
path that does not exist, a validation rule on a route that does not exist) is told "fix your
profile" for each of them, while a real fault of the deployment (switched on in the sandbox) is
told "fix your app"; the shipped profile of the healthy sandbox has nothing to fix."""

from __future__ import annotations

import os
import subprocess
import sys

from suite_runner import ROOT

from monitor.analysers.profile_fit import static_mistakes
from monitor.profile import load_profile

MISTAKES = {
    'cookie_paths = ["/sign-in"]': 'cookie_paths = ["/sign-in", "/"]',
    'private_paths = ["/docs", "/openapi.json"]\n\n[[services.mcp.health]]': 'private_paths = ["/docs", '
    '"/openapi.json", "/stats"]\n\n[[services.mcp.health]]',
    '[[services.backend.health]]\npath = "/health/healthz"': "[[services.backend.health]]\npath = "
    '"/healthz"\n\n[[services.backend.health]]\npath = "/health/healthz"',
    '[[validation]]\nservice = "mcp"\npath = "/v1/mcp/chat"': '[[validation]]\nservice = "mcp"\npath = "/v1/mcp/talk"',
}


def _check(sandbox, targets, name):
    env = {**os.environ, "SLURPY_TARGETS_DIR": str(targets), "SLURPY_SANDBOX_STATE": str(sandbox.state_file)}
    env.pop("SLURPY_TARGET", None)
    return subprocess.run(
        [sys.executable, "-m", "monitor.commands.monitor", "check-profile", "--target", name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_profile_separates_fix_your_profile_from_fix_your_app(sandbox, tmp_path):
    targets = tmp_path / "targets"
    targets.mkdir()
    text = (ROOT / "targets" / "sandbox.toml").read_text()
    for old, new in MISTAKES.items():
        assert old in text, old
        text = text.replace(old, new)
    (targets / "wrong.toml").write_text(text)
    (targets / "sandbox.toml").write_text((ROOT / "targets" / "sandbox.toml").read_text())
    sandbox.clear()
    sandbox.switch_on("backend-degraded")
    try:
        done = _check(sandbox, targets, "wrong")
    finally:
        sandbox.clear()
    report = done.stdout.split("without rate-limit probes:")[-1]
    profile_part, app_part = report.split("fix your profile")[1].split("fix your app")
    for check in (
        "cookies:frontend:/:",
        "exposure:mcp:",
        "health:backend:/healthz:",
        "latency:backend:",
        "validation:mcp:POST /v1/mcp/talk:",
    ):
        assert profile_part.count(check) == 1, done.stdout
    assert "/stats is both" in profile_part and "/ answered 200 and sets no cookie" in profile_part
    assert "health:backend:/health/healthz:" in app_part and "[body]" in app_part and "profile" not in app_part
    assert done.returncode == 2, done.stdout + done.stderr

    healthy = _check(sandbox, targets, "sandbox")
    assert "nothing to fix: the profile fits the deployment" in healthy.stdout, healthy.stdout + healthy.stderr
    assert healthy.returncode == 0


def test_a_profile_that_contradicts_itself_is_told_so_before_any_request():
    profile = load_profile("sandbox")
    mcp = profile.services["mcp"]
    wrong = profile.model_copy(
        update={
            "services": {
                **profile.services,
                "mcp": mcp.model_copy(
                    update={
                        "security": mcp.security.model_copy(
                            update={
                                "private_paths": [
                                    *mcp.security.private_paths,
                                    type(mcp.security.private_paths[0])(path="/stats"),
                                ]
                            }
                        )
                    }
                ),
            }
        }
    )
    [finding] = static_mistakes(wrong)
    assert finding.fix == "profile" and finding.check_id == "exposure:mcp" and "/stats is both" in finding.why
    assert static_mistakes(profile) == []
