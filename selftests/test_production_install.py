"""A scheduled production run installs only the project's dependencies, not the sandbox's group
(`uv sync --no-default-groups`): the suites must collect and run a real target's checks without
trustme, FastAPI, uvicorn or stripe importable. The monitor's wheel holds the product only."""

import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import EntryPoints

import pytest
from suite_runner import ROOT

from monitor.commands import load, stand_in, sweep

SANDBOX_ONLY = ("trustme", "fastapi", "uvicorn", "stripe", "starlette")

# Runs pytest with an import hook that refuses the sandbox's dependencies.
BLOCKED_PYTEST = f"""
import sys, pytest

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {SANDBOX_ONLY!r}:
            raise ImportError(f"{{name}} is a sandbox dependency")

sys.meta_path.insert(0, Refuse())
sys.exit(pytest.main(sys.argv[1:]))
"""


def test_suites_collect_against_a_real_target_without_sandbox_dependencies(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCKED_PYTEST,
            "tests",
            "--collect-only",
            "-q",
            "--target",
            "production.example",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tests/smoke/test_health.py::test_health[frontend/api/health]" in proc.stdout
    assert "ImportError" not in proc.stdout + proc.stderr


def test_the_wheel_ships_the_monitor_only(tmp_path):
    """The sandbox is its own distribution (sandbox/pyproject.toml): the monitor's wheel holds
    monitor/ alone, and no entry point of it names the sandbox. Built offline from uv's cache (a
    checkout's `uv sync` built the project with the same backend)."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not on PATH: ./run installs it")
    subprocess.run(
        [uv, "build", "--wheel", "--offline", "--quiet", "-o", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = tmp_path.glob("slurpy_monitor-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("/entry_points.txt"))
    assert {n.split("/")[0] for n in names} == {"monitor", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "sandbox" not in entry_points and "monitor.commands.load:main" in entry_points, entry_points


def test_a_command_without_the_sandbox_installed_says_so_in_one_line(monkeypatch, capsys, tmp_path):
    """Where no stand-in is installed (the wheel alone), a command asked for the sandbox target
    refuses with one line naming the profile and where the sandbox comes from."""
    monkeypatch.setattr(stand_in, "entry_points", lambda group: EntryPoints(()))
    monkeypatch.delenv("SLURPY_SANDBOX_STATE", raising=False)
    assert load.main(["--target", "sandbox", "--run-time", "1", "--artifacts", str(tmp_path)]) == 2
    assert sweep.main(["--target", "sandbox"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"{prog}: targets/sandbox.toml says sandbox = true, but no sandbox plugin is installed: the sandbox "
        "comes with the monitor's checkout (uv sync --group sandbox there)"
        for prog in ("slurpy load", "slurpy-sweep")
    ]
