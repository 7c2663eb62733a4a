import subprocess
import sys
from pathlib import Path

import pytest

from monitor.checks.catalogue import catalogue
from monitor.profile import ProfileError, available_targets, load_profile, parse_url_options
from testkit.child_env import bytecode_env

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path, name, text):
    (tmp_path / f"{name}.toml").write_text(text)
    return tmp_path


MINIMAL = """
[services.backend]
base_url = "https://api.example.com"
latency_ms = 500
[[services.backend.health]]
path = "/health/healthz"
json_equals = { ok = true }
"""


def test_shipped_profiles_validate():
    names = available_targets()
    assert {"sandbox", "staging.example", "production.example"} <= set(names)
    for name in names:
        load_profile(name)
    assert load_profile("production.example").sensitive
    assert not load_profile("sandbox").sensitive


def test_defaults_are_the_safe_ones(tmp_path):
    profile = load_profile("t", directory=write(tmp_path, "t", MINIMAL))
    assert profile.sensitive and not profile.allow_destructive and not profile.allow_budget
    assert profile.timeout_s == 10 and profile.retries == 2
    assert (profile.tls.warn_days, profile.tls.fail_days) == (30, 7)


def test_unknown_target_lists_those_that_exist(tmp_path):
    write(tmp_path, "staging", MINIMAL)
    with pytest.raises(ProfileError) as err:
        load_profile("prod", directory=tmp_path)
    assert "unknown target 'prod'" in str(err.value) and "Targets that exist: staging" in str(err.value)


def test_every_problem_is_one_line_naming_file_and_field(tmp_path):
    bad = MINIMAL.replace("latency_ms = 500", "latency_ms = -1\nlatnecy = 3").replace("/health/healthz", "health")
    bad += '\n[tls]\nwarn_days = 5\nfail_days = 7\n[secrets]\nkey = "sk_live_abc123"\n'
    with pytest.raises(ProfileError) as err:
        load_profile("bad", directory=write(tmp_path, "bad", bad))
    lines = err.value.lines
    path = str(tmp_path / "bad.toml")
    assert all(line.startswith(f"{path}: ") for line in lines)
    text = "\n".join(lines)
    assert "services.backend.latency_ms: Input should be greater than 0" in text
    assert "services.backend.latnecy: Extra inputs are not permitted" in text
    assert "services.backend.health.0.path: Value error, must start with '/'" in text
    assert "tls: Value error, warn_days (5) must be >= fail_days (7)" in text
    assert "secrets: Value error, key: must name an environment variable" in text
    assert "sk_live_abc123" not in text, "a secret value pasted into a profile must not be echoed"
    assert len(lines) == 5


def test_cors_origins_per_service_and_what_a_cors_probe_may_send(tmp_path):
    text = MINIMAL + (
        '[cors]\nallowed_origins = ["https://example.com"]\n'
        '[services.backend.security]\ncors_path = "/x"\ncors_method = "GET"\n'
    )
    profile = load_profile("t", directory=write(tmp_path, "t", text))
    assert catalogue(profile).find("cors:backend").args.policy.allowed_origins == ["https://example.com"]
    own = text.replace('cors_method = "GET"', 'cors_method = "GET"\ncors_origins = ["https://app.example.com"]')
    profile = load_profile("t", directory=write(tmp_path, "t", own))
    assert catalogue(profile).find("cors:backend").args.policy.allowed_origins == ["https://app.example.com"]
    none = text.replace('cors_method = "GET"', 'cors_method = "GET"\ncors_origins = []')
    profile = load_profile("t", directory=write(tmp_path, "t", none))  # allows no one: still probed with attackers
    assert catalogue(profile).find("cors:backend").args.policy.allowed_origins == []
    bad = text.replace('cors_method = "GET"', 'cors_method = "DELETE"\ncors_origins = ["https://a.example.com/"]')
    with pytest.raises(ProfileError) as err:
        load_profile("t", directory=write(tmp_path, "t", bad))
    assert "cors_method: Input should be 'GET', 'HEAD' or 'POST'" in str(err.value)
    assert "'https://a.example.com/' is not an origin" in str(err.value)


def test_invalid_toml_is_one_line(tmp_path):
    with pytest.raises(ProfileError) as err:
        load_profile("x", directory=write(tmp_path, "x", "services = [oops"))
    assert len(err.value.lines) == 1 and "not valid TOML" in err.value.lines[0]


def test_url_override(tmp_path):
    write(tmp_path, "t", MINIMAL)
    profile = load_profile("t", directory=tmp_path, url_overrides={"backend": "https://pr-7.example.com/"})
    assert profile.services["backend"].base_url == "https://pr-7.example.com"
    with pytest.raises(ProfileError, match="URL override for unknown service 'frontend'"):
        load_profile("t", directory=tmp_path, url_overrides={"frontend": "https://x.example"})
    assert parse_url_options(["backend=https://a.example"]) == {"backend": "https://a.example"}
    with pytest.raises(ProfileError, match="expected SERVICE=URL"):
        parse_url_options(["https://a.example"])


def test_bad_profile_stops_pytest_before_any_test(tmp_path):
    write(tmp_path, "broken", MINIMAL.replace("latency_ms = 500", "latency_ms = 'fast'"))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/smoke", "--target", "broken", "-q"],
        cwd=ROOT,
        env={"SLURPY_TARGETS_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", **bytecode_env()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "bad target profile" in proc.stderr
    assert "broken.toml: services.backend.latency_ms: Input should be a valid number" in proc.stderr
    assert "passed" not in proc.stdout and "failed" not in proc.stdout


def test_latency_samples_must_have_the_health_status_of_the_path_they_sample(tmp_path):
    text = MINIMAL + '[[services.backend.health]]\npath = "/ready"\nstatus = [204]\n'
    backend = load_profile("t", directory=write(tmp_path, "t", text)).services["backend"]
    assert backend.warm_up and backend.latency_status == [200]
    with_ready = load_profile(
        "t",
        directory=write(tmp_path, "t", text.replace("latency_ms = 500", 'latency_ms = 500\nlatency_path = "/ready"')),
    ).services["backend"]
    assert with_ready.latency_status == [204]
    elsewhere = load_profile(
        "t", directory=write(tmp_path, "t", text.replace("latency_ms = 500", 'latency_ms = 500\nlatency_path = "/"'))
    ).services["backend"]
    assert elsewhere.latency_status == [200]
