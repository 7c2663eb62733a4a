"""The post-deploy gate's parts: request headers in the profile (values only from secrets, sent
only to the services they are for), the baseline read from the history, deploys on the status
page's charts, the ``gate`` command's arguments, and the post-deploy watch ending at a failure."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor import redact
from monitor.commands import gate
from monitor.commands.monitor import main
from monitor.commands.watch import Watch
from monitor.history.observation import Observation, drawn
from monitor.history.store import HistoryStore, RunInfo
from monitor.probe import NetworkSettings, Probe
from monitor.profile import MissingSecret, ProfileError, Secrets, load_profile, request_headers
from monitor.report.status_page import deploys, latency_chart
from monitor.results import CheckResult, Verdict
from monitor.slo.read import LATENCY_CHECK

PROFILE = """
[secrets]
bypass = "PREVIEW_BYPASS"
[request]
headers = {{ "x-vercel-protection-bypass" = "{value}" }}
{services}
[services.frontend]
base_url = "https://pr-42.example.com"
latency_ms = 500
[[services.frontend.health]]
path = "/api/health"
[services.backend]
base_url = "https://api.example.com"
latency_ms = 500
[[services.backend.health]]
path = "/health/healthz"
"""


def profile_with(tmp_path, value="secret:bypass", services='services = ["frontend"]'):
    (tmp_path / "p.toml").write_text(PROFILE.format(value=value, services=services))
    return load_profile("p", directory=tmp_path)


@pytest.mark.parametrize(
    "value,said",
    [
        ("hunter2-the-bypass", 'a header\'s value comes from a secret only: write "secret:<name>"'),
        ("secret:nope", "[request] headers read secret(s) nope: name their environment variables under [secrets]"),
    ],
)
def test_a_header_value_comes_only_from_a_named_secret(tmp_path, value, said):
    with pytest.raises(ProfileError) as err:
        profile_with(tmp_path, value)
    assert said in str(err.value)
    assert "hunter2" not in str(err.value), "a value written into the profile by mistake is not echoed"


def test_request_headers_read_their_secret_and_register_it_for_scrubbing(tmp_path):
    profile = profile_with(tmp_path)
    headers = request_headers(profile, Secrets(profile, env={"PREVIEW_BYPASS": "by-pass-value-123"}))
    assert headers == {"x-vercel-protection-bypass": "by-pass-value-123"}
    assert redact.scrub(b"x-vercel-protection-bypass: by-pass-value-123") == b"x-vercel-protection-bypass: ********"
    with pytest.raises(MissingSecret) as err:
        request_headers(profile, Secrets(profile, env={"CI": "true"}))
    assert err.value.fatal and "set environment variable PREVIEW_BYPASS" in str(err.value)


def test_the_probe_sends_the_header_only_to_the_services_it_is_for(tmp_path):
    profile = profile_with(tmp_path)
    seen: dict[str, str | None] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = request.headers.get("x-vercel-protection-bypass")
        return httpx.Response(200, json={})

    probe = Probe(
        NetworkSettings.from_profile(profile, {"x-vercel-protection-bypass": "v"}),
        transport=httpx.MockTransport(answer),
        sleep=lambda _: None,
    )
    probe.get("https://pr-42.example.com/api/health")
    probe.get("https://api.example.com/health/healthz")
    assert seen == {"pr-42.example.com": "v", "api.example.com": None}
    everywhere = profile_with(tmp_path, services="")
    assert len(NetworkSettings.from_profile(everywhere, {"x-vercel-protection-bypass": "v"}).origin_headers) == 2


def latency(
    run_id: str, ms: float, verdict: Verdict = Verdict.PASS, version: str = "", check: str = "latency"
) -> CheckResult:
    return CheckResult(
        check=check,
        service="backend",
        verdict=verdict,
        message="m",
        target="production",
        run_id=run_id,
        time=T0.isoformat(),
        deploy_version=version,
        details={"samples_ms": [ms, ms]},
    )


T0 = datetime(2026, 12, 5, 10, tzinfo=UTC)


def test_the_baseline_is_passing_runs_of_other_versions_without_a_regression_let_through(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite") as store:
        rows = [
            ("r1", latency("r1", 10)),
            ("r2", latency("r2", 11, Verdict.FAIL)),
            ("r3", latency("r3", 12, version="v9")),
            ("r4", latency("r4", 13, version="v8")),
            ("r4", latency("r4", 99, Verdict.WARN, "v8", "baseline")),
            ("r5", latency("r5", 14, version="v7")),
        ]
        for n, (run_id, record) in enumerate(rows):
            store.begin_run(
                RunInfo(
                    run_id, "production", (T0 + timedelta(minutes=n)).isoformat(), deploy_version=record.deploy_version
                )
            )
            store.add(record, n)
        found = store.passing_runs("production", "latency:backend", T0 - timedelta(days=1), not_version="v9")
    # r2 failed; r3 is the version being judged; r4's own gate found it slower than its baseline.
    assert [(run_id, samples) for run_id, _, samples in found] == [("r1", (10.0, 10.0)), ("r5", (14.0, 14.0))]


def test_the_status_page_marks_each_deploy_once_on_the_latency_charts():
    now = T0 + timedelta(hours=6)

    def seen(hours: float, version: str) -> Observation:
        at = T0 + timedelta(hours=hours)
        return Observation(
            f"r{hours}",
            at,
            "",
            "smoke",
            "latency:backend",
            "latency",
            "backend",
            Verdict.PASS,
            None,
            at,
            (10.0,),
            version,
        )

    rows = [seen(0, ""), seen(1, "abc1234"), seen(1.5, "abc1234"), seen(3, "def5678"), seen(-200, "old0000")]
    marked = deploys(drawn(rows, LATENCY_CHECK), now)
    assert marked == [(T0 + timedelta(hours=1), "abc1234"), (T0 + timedelta(hours=3), "def5678")]
    svg = latency_chart([(o.started, 10.0) for o in rows if o.started >= T0], 500, marked)
    assert "deploys: abc1234 05 Dec 11:00, def5678 05 Dec 13:00" in svg


def test_the_gate_command_splits_its_own_options_from_the_runs():
    assert gate.split_argv(
        ["smoke", "--target", "staging", "--watch-for", "30m", "--url", "mcp=https://m", "--every=5m"]
    ) == (["smoke"], ["--watch-for", "30m", "--every=5m"], ["--target", "staging", "--url", "mcp=https://m"])


def test_the_gate_refuses_to_run_without_the_version_it_gates(monkeypatch, capsys):
    monkeypatch.delenv("SLURPY_DEPLOY_VERSION", raising=False)
    assert main(["gate", "smoke", "--target", "sandbox"]) == 4
    assert "give --deploy-version" in capsys.readouterr().err


class ScriptedWatch(Watch):
    """Rounds that exit with the given codes instead of running a suite."""

    def __init__(self, codes: list[int], tmp: Path):
        super().__init__(
            None, 0.01, "smoke", tmp / "h.sqlite", tmp, 1.0, len(codes), ["--deploy-version", "v1"], until_failure=True
        )
        self.codes = codes
        self.commands: list[list[str]] = []

    def command(self) -> list[str]:
        self.commands.append(super().command())
        return [sys.executable, "-c", f"raise SystemExit({self.codes[len(self.commands) - 1]})"]


def test_a_post_deploy_watch_fails_at_its_first_failing_round_and_is_no_scheduled_run(tmp_path):
    watch = ScriptedWatch([0, 1, 0], tmp_path)
    assert watch.run() == 1
    assert len(watch.commands) == 2, "the watch stops at the round that failed"
    assert "--schedule" not in watch.commands[0] and "--deploy-version" in watch.commands[0]
    assert ScriptedWatch([0, 0], tmp_path).run() == 0


def test_a_gate_between_scheduled_runs_creates_no_expected_run_slot():
    from monitor.history.schedule import ObservedRun, Status, timeline

    scheduled = [
        ObservedRun(f"s{n}", T0 + timedelta(minutes=5 * n, seconds=20), "*/5 * * * *", Status.UP) for n in range(4)
    ]
    gate = ObservedRun("gate", T0 + timedelta(minutes=7), "", Status.DOWN)  # no schedule: a deploy's gate
    now = T0 + timedelta(minutes=20)
    assert timeline([*scheduled, gate], now) == timeline(scheduled, now)


def test_the_example_profiles_request_and_gate_blocks_load_once_uncommented(tmp_path):
    text = (Path(__file__).resolve().parents[2] / "targets" / "staging.example.toml").read_text()
    start, end = text.index("# vercel_bypass = "), text.index("# regression = ")
    block = [
        line.removeprefix("# ").split("  #")[0]
        for line in text[start : end + 40].splitlines()
        if line.startswith("# ") and ("=" in line or line.startswith("# ["))
    ]
    secret, rest = block[0], "\n".join(block[1:])
    (tmp_path / "p.toml").write_text(f"[secrets]\n{secret}\n{rest}\n" + PROFILE.split("{services}\n")[1])
    profile = load_profile("p", directory=tmp_path)
    assert profile.request.secret_names == {"x-vercel-protection-bypass": "vercel_bypass"}
    assert profile.gate.regression == "fail" and profile.gate.p95_floor_ms == 100


def test_a_health_endpoint_asking_for_credentials_points_at_the_bypass_header():
    from monitor.analysers.health import judge_health
    from monitor.profile import HealthEndpoint

    said = judge_health(HealthEndpoint(path="/api/health"), 401, {"content-type": "text/html"}, b"<title>Auth</title>")
    assert "expected status 200, got 401 (a protected deployment" in said.describe()
    assert "[request] headers" in said.describe()
    assert "protected" not in judge_health(HealthEndpoint(path="/api/health"), 503, {}, b"").describe()


def test_the_watch_keeps_its_rounds_in_the_gates_own_history():
    assert (
        gate.option_value(["--target", "t", "--history", "a.sqlite", "--history=b.sqlite"], "--history") == "b.sqlite"
    )
    assert gate.option_value(["--history", "a.sqlite"], "--history") == "a.sqlite"
    assert gate.option_value(["--target", "t"], "--history") is None


def test_a_scheduled_run_stamped_with_the_live_version_is_no_gate():
    from dataclasses import replace

    from monitor.options import OPTIONS, RunOptions

    defaults: dict[str, Any] = {option.dest: option.kwargs({}).get("default") for option in OPTIONS}
    plain = RunOptions(**defaults)
    assert replace(plain, deploy_version="v1", schedule="").is_gate
    assert not replace(plain, deploy_version="v1", schedule="*/5 * * * *").is_gate
    assert not replace(plain, deploy_version="", schedule="").is_gate
