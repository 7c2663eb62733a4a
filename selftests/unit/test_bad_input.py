"""Bad input is one line each, never a traceback, never exit 0 having done nothing (issue 18,
item 8): profiles that are not UTF-8 text, numbers that are not finite or absurd, credentials in
URLs, unwritable output paths, negative durations and days."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

import annotated_types
import pytest
from pydantic import BaseModel

from monitor.commands.monitor import main
from monitor.profile import Profile, ProfileError, load_profile, parse_url_options
from testkit.child_env import bytecode_env

ROOT = Path(__file__).resolve().parents[2]
SLURPY_MONITOR = [sys.executable, "-m", "monitor.commands.monitor"]

MINIMAL = """
[services.backend]
base_url = "https://api.example.com"
latency_ms = 500
[[services.backend.health]]
path = "/health/healthz"
"""


def problems(tmp_path: Path, text: str | bytes) -> list[str]:
    path = tmp_path / "t.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ProfileError) as caught:
        load_profile("t", directory=tmp_path)
    return caught.value.lines


@pytest.mark.parametrize(
    "raw,says",
    [
        (b"\xff\xfe\x00b\x00a\x00d", "not UTF-8 text (byte 0xff at offset 0)"),
        (MINIMAL.encode() + b'\ndescription = "caf\xe9"\n', "not UTF-8 text (byte 0xe9"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text"),
        (b'name = "x"\x00\n', "not valid TOML"),
    ],
)
def test_a_profile_that_is_not_utf8_toml_is_one_line(tmp_path, raw, says):
    [line] = problems(tmp_path, raw)
    assert says in line and "t.toml" in line


@pytest.mark.parametrize(
    "setting,says",
    [
        ("timeout_s = inf", "timeout_s: Input should be a finite number"),
        ("timeout_s = nan", "timeout_s: Input should be a finite number"),
        ("timeout_s = 1e308", "timeout_s: Input should be less than or equal to 600"),
        ("max_answer_bytes = 99999999999999", "max_answer_bytes: Input should be less than or equal to 1073741824"),
        ("retry_delay_s = -1", "retry_delay_s: Input should be greater than or equal to 0"),
        ("[alerts]\ndelivery_timeout_s = inf", "alerts.delivery_timeout_s: Input should be a finite number"),
        ("[load]\nthink_time_s = [1, 1e9]", "load.think_time_s.1: Input should be less than or equal to 86400"),
        ("[run_deadline_s]\nsmoke = -5", "run_deadline_s.smoke: Input should be greater than 0"),
    ],
)
def test_non_finite_or_absurd_numbers_are_refused_with_their_range(tmp_path, setting, says):
    lines = problems(tmp_path, setting + "\n" + MINIMAL if not setting.startswith("[") else MINIMAL + setting)
    assert any(says in line for line in lines), lines


def _numbers_without_upper_bound(model: type[BaseModel], where: str, seen: set) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    found = []
    for name, field in model.model_fields.items():
        stack: list[tuple[object, list]] = [(field.annotation, list(field.metadata))]
        while stack:
            annotation, metadata = stack.pop()
            origin = typing.get_origin(annotation)
            if origin is typing.Annotated:
                inner, *extra = typing.get_args(annotation)
                stack.append((inner, metadata + [m for e in extra for m in getattr(e, "metadata", [e])]))
            elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
                found += _numbers_without_upper_bound(annotation, f"{where}{name}.", seen)
            elif annotation in (int, float):
                if not any(isinstance(m, annotated_types.Le | annotated_types.Lt) for m in metadata):
                    found.append(f"{where}{name}")
            else:  # unions, lists, dicts, tuples: their arguments (a dict's keys are names)
                args = typing.get_args(annotation)
                stack += [(arg, metadata if origin not in (dict,) else []) for arg in args[1:] if origin is dict]
                stack += [(arg, metadata) for arg in args if origin is not dict]
    return found


def test_every_number_a_profile_sets_has_an_upper_bound():
    """Every timeout, count and size: a field added later without a bound fails here."""
    assert _numbers_without_upper_bound(Profile, "", set()) == []


def test_credentials_in_a_url_are_refused_naming_the_safe_alternative(tmp_path):
    [line] = problems(tmp_path, MINIMAL.replace("https://api.example.com", "https://monitor:CANARY-PW@api.example.com"))
    assert "services.backend.base_url: a URL must not hold credentials" in line
    assert "[auth]" in line and "request header" in line and "CANARY-PW" not in line
    with pytest.raises(ProfileError) as caught:
        parse_url_options(["frontend=https://user:CANARY-PW@preview.example.com"])
    [line] = caught.value.lines
    assert line.startswith("--url frontend=https://********@preview.example.com: a URL must not hold credentials")
    assert "CANARY-PW" not in line


def test_credentials_through_the_environment_override_are_refused(tmp_path):
    (tmp_path / "t.toml").write_text(MINIMAL)
    with pytest.raises(ProfileError) as caught:
        load_profile("t", directory=tmp_path, url_overrides={"backend": "https://u:CANARY-PW@x.example"})
    assert "must not hold credentials" in caught.value.lines[0] and "CANARY-PW" not in str(caught.value)


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*SLURPY_MONITOR, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_url_credentials_on_the_command_line_stop_the_run_in_one_line(tmp_path):
    proc = run_cli(
        "run",
        "smoke",
        "--url",
        "frontend=https://user:CANARY-PW@127.0.0.1:9",
        "--results",
        str(tmp_path / "r.jsonl"),
        cwd=tmp_path,
    )
    assert proc.returncode not in (0, 1), proc.stdout + proc.stderr  # a usage error, not a check's verdict
    assert "a URL must not hold credentials" in proc.stderr and "[auth]" in proc.stderr
    assert "CANARY-PW" not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r.jsonl").exists()


def test_a_binary_profile_stops_pytest_with_one_line_not_an_internal_error(tmp_path):
    (tmp_path / "bin.toml").write_bytes(b"\x00\xff" * 64)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/smoke", "--target", "bin", "-q"],
        cwd=ROOT,
        env={"SLURPY_TARGETS_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", **bytecode_env()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "bin.toml: not UTF-8 text" in proc.stderr and "INTERNALERROR" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "args,says",
    [
        (
            ["status-page", "--target", "sandbox", "--out", "/proc/nope"],
            "slurpy-monitor: /proc/nope: No such file or directory",
        ),
        (
            ["history", "rebuild", "--from", "/nonexistent/text", "--to", "h.sqlite"],
            "/nonexistent/text: no such text-history folder",
        ),
        (["history", "compact", "/nonexistent/text"], "/nonexistent/text: no such text-history folder"),
        (["history", "gaps", "--hours", "-24"], "argument --hours: '-24': must be more than 0"),
        (["watch", "--results-dir", "/proc/nope", "--rounds", "1"], "--results-dir /proc/nope: cannot be written"),
        (["history", "import", "results/typo.jsonl", "--history", "h.sqlite"], "results/typo.jsonl: no such file"),
    ],
)
def test_bad_paths_and_negative_durations_are_one_line_and_a_non_zero_exit(tmp_path, args, says):
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert says in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "h.sqlite").exists()  # a rebuild from nothing replaced no history


# Refused by the argument parser before any command starts: the parser's own answer, read in
# process (a child each cost half a CPU second); that such a refusal leaves `slurpy-monitor` as one
# line and exit 2, never a traceback, is the --hours -24 case above, run as a process.
@pytest.mark.parametrize(
    "args,says",
    [
        (["history", "compact", ".", "--keep-days", "-3"], "argument --keep-days: '-3': must not be negative"),
        (["history", "import", ".", "--days", "-1"], "argument --days: '-1': must not be negative"),
        (["history", "gaps", "--hours", "nan"], "argument --hours: 'nan': must be more than 0"),
        (["watch", "--every", "inf"], "argument --every: 'inf': must be a finite duration more than zero"),
        (["watch", "--every=-5s"], "argument --every: '-5s': must be a finite duration more than zero"),
        (["watch", "--rounds", "-1"], "argument --rounds: '-1': must not be negative"),
    ],
)
def test_negative_or_non_finite_arguments_are_refused_by_the_parser(tmp_path, monkeypatch, capsys, args, says):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "h.sqlite").exists()


@pytest.mark.parametrize(
    "option",
    [
        "--results=/proc/nope/r.jsonl",
        "--junitxml=/proc/nope/j.xml",
        "--alluredir=/proc/nope",
        "--history-dir=/proc/nope",
        "--metrics-file=/proc/nope/m.prom",
        "--output=/proc/nope",
    ],
)
def test_an_unwritable_output_stops_the_run_before_any_check(tmp_path, option):
    proc = run_cli("run", "smoke", option, "--collect-only", cwd=tmp_path)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    name, _, value = option.partition("=")
    assert f"{name} {value}: cannot be written: its folder cannot be created" in proc.stderr
    assert "INTERNALERROR" not in proc.stdout + proc.stderr
