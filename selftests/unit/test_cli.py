"""`slurpy-monitor` as a scheduler uses it: `run` is pytest over the suites' folders with the
reports switched on and every other option passed through; `history` imports (nothing twice),
rebuilds, compacts and lists the expected runs, unknown ones included."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest

from monitor.commands.monitor import main, parser
from monitor.history import textlog
from monitor.history.sinks import TextHistorySink
from monitor.history.store import HistoryStore
from monitor.layout import ROOT
from monitor.pipeline import JsonlSink, Run, RunRecorder
from monitor.results import CheckResult, Verdict


def test_run_is_pytest_over_the_suites_with_reports_and_the_callers_options(monkeypatch):
    seen: list[list[str]] = []

    def pytest_main(argv: list[str]) -> int:
        seen.append(argv)
        return 0

    monkeypatch.setattr(pytest, "main", pytest_main)
    assert main(["run", "smoke", "journeys", "--target", "production", "-n", "2"]) == 0
    assert main(["run", "all", "--junitxml", "mine.xml"]) == 0
    first, second = seen
    assert first[:2] == [str(ROOT / "tests/smoke"), str(ROOT / "tests/journeys")]
    assert first[-4:] == ["--target", "production", "-n", "2"]
    assert "--junitxml=results/junit.xml" in first and "--alluredir=results/allure-results" in first
    assert second[:3] == [str(ROOT / f"tests/{s}") for s in ("smoke", "security", "journeys")]
    assert "--junitxml=results/junit.xml" not in second and second[-2:] == ["--junitxml", "mine.xml"]


def test_run_refuses_a_suite_that_does_not_exist(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "load"])
    assert stop.value.code == 2 and "invalid choice: 'load'" in capsys.readouterr().err


def test_history_commands(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
    start -= timedelta(minutes=start.minute % 5)
    for k in (0, 1, 3):  # slot 2 missed
        run = Run(target="prod", started=start + timedelta(minutes=5 * k, seconds=30), schedule="*/5 * * * *")
        recorder = RunRecorder(run, [JsonlSink(tmp_path / f"r{k}.jsonl"), TextHistorySink(tmp_path / "text")])
        recorder.add(CheckResult("health", "backend", Verdict.FAIL if k == 3 else Verdict.PASS, "m", suite="smoke"))
        recorder.close()

    assert main(["history", "import", "r0.jsonl", "text", "nowhere"]) == 0
    out = capsys.readouterr().out
    assert "r0.jsonl: 1 runs, 1 records added" in out and "nowhere: nothing there yet" in out
    assert "2 runs, 2 records added" in out, "the text history brings the two runs the results file did not"
    assert main(["history", "import", "r1.jsonl", "text"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "r1.jsonl: 0 runs, 0 records added",
        f"{textlog.day_file(tmp_path / 'text', 'prod', start).relative_to(tmp_path)}: unchanged",
    ]

    assert main(["history", "gaps", "--hours", "1"]) == 0
    assert capsys.readouterr().out == "no runs of target sandbox in results/history.sqlite\n", "the default target"
    monkeypatch.setenv("SLURPY_TARGET", "prod")
    assert main(["history", "gaps", "--hours", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("prod smoke: ") and "1 up" not in out[0] and "2 up, 1 down" in out[0]
    assert f"  unknown {start + timedelta(minutes=10):%Y-%m-%d %H:%M}" in out[1] and "no run" in out[1]

    assert main(["history", "rebuild", "--from", "text", "--to", "rebuilt.sqlite"]) == 0
    with HistoryStore(tmp_path / "rebuilt.sqlite") as store:
        assert store.count() == 3
    assert capsys.readouterr().out == "rebuilt rebuilt.sqlite: 3 runs, 3 records from text\n"

    old = Run(target="prod", started=start - timedelta(days=3))
    RunRecorder(old, [TextHistorySink(tmp_path / "text")]).add(CheckResult("health", "backend", Verdict.PASS, "m"))
    assert main(["history", "compact", "text", "--keep-days", "1"]) == 0
    month = f"text/prod/{old.started:%Y-%m}.jsonl.gz"
    assert capsys.readouterr().out == f"compacted into {month}\n"
    assert not textlog.day_file(tmp_path / "text", "prod", old.started).exists()


def test_a_history_command_on_a_broken_file_says_what_to_do(tmp_path, capsys):
    (tmp_path / "h.sqlite").write_bytes(b"garbage" * 100)
    assert main(["history", "gaps", "--history", str(tmp_path / "h.sqlite")]) == 1
    assert f"history {tmp_path / 'h.sqlite'} is corrupt" in capsys.readouterr().err


def _shifted_history(path):
    """The scripted SLO history moved so that its noon is the last five-minute mark before now."""
    from testkit.scripted_history import NOON, history_lines, scripted

    now = datetime.now(UTC)
    shift = now.replace(second=0, microsecond=0, minute=now.minute - now.minute % 5) - NOON
    with HistoryStore(path) as store:
        store.import_lines(
            history_lines(
                [o._replace(started=o.started + shift, time=o.time + shift) for o in scripted()],
                target="production.example",
            ),
            "scripted",
        )


def test_uptime_prints_a_table_and_the_same_as_json(tmp_path, capsys):
    import json

    history = tmp_path / "h.sqlite"
    _shifted_history(history)
    assert main(["uptime", "--target", "production.example", "--history", str(history)]) == 0
    table = capsys.readouterr().out
    backend = next(line for line in table.splitlines() if line.startswith("backend "))
    assert "82.61 % of 1 h 55 min (+5 min unknown)" in backend and "53.7 % (23 min)" in backend
    frontend = next(line for line in table.splitlines() if line.startswith("frontend "))
    assert "no data" in frontend and "100" not in frontend
    assert "backend: " in table and "25 min, 4 failed runs, http status, latency" in table
    assert main(["uptime", "--target", "production.example", "--history", str(history), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    [backend_data] = [s for s in data["services"] if s["name"] == "backend"]
    assert backend_data["uptime"]["24h"]["unknown_s"] == 300 and backend_data["budget"]["spent_s"] == 1200


def test_status_page_writes_the_page_and_its_embeds(tmp_path, capsys):
    history = tmp_path / "h.sqlite"
    _shifted_history(history)
    out = tmp_path / "site"
    assert main(["status-page", "--target", "production.example", "--history", str(history), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["badges", "incidents.atom", "index.html", "summary.json"]
    assert not list(out.rglob("*.tmp"))  # each file written beside and renamed: nothing half-written left
    assert 'data-service="backend" data-state="up"' in (out / "index.html").read_text()


def test_status_page_shows_peoples_notes_and_names_a_broken_one(tmp_path, capsys):
    history = tmp_path / "h.sqlite"
    _shifted_history(history)
    notes = tmp_path / "incidents"
    notes.mkdir()
    (notes / "frontend-20260310T0920Z.md").write_text(
        "# Sign-ins failing\n## Investigating · 2030-01-01 09:20 UTC\nOn it.\n"
    )
    (notes / "backend-20260310T1100Z.md").write_text("## Fixed · 2030-01-01 11:05 UTC\nx\n")
    assert (
        main(
            [
                "status-page",
                "--target",
                "production.example",
                "--history",
                str(history),
                "--out",
                str(tmp_path / "site"),
                "--notes",
                str(notes),
            ]
        )
        == 0
    )
    said = capsys.readouterr()
    assert "incident note left off the page" in said.err and "backend-20260310T1100Z.md:1" in said.err
    assert "1 incident notes" in said.out and "Sign-ins failing" in (tmp_path / "site" / "index.html").read_text()


def test_run_help_lists_every_option_the_plugins_register_from_the_one_list(capsys):
    """`run --help` and pytest read one definition (monitor.options): every option a plugin
    registers is in the help, with its environment variable, and the exit codes are explained."""
    with pytest.raises(SystemExit) as stop:
        main(["run", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for flag in (
        "--target",
        "--url",
        "--deploy-version",
        "--stop-if-unreachable",
        "--schedule",
        "--history",
        "--results",
        "--no-alerts",
        "--metrics-file",
        "--sandbox-fault",
    ):
        assert flag in text, flag
    assert "$SLURPY_DEPLOY_VERSION" in text and "4  bad usage" in text and "-n auto" in text


def test_the_plugins_register_the_options_of_the_one_list():
    """No plugin adds an option of its own beside the list: pytest's "slurpy monitor" group holds
    exactly the list's options."""
    import subprocess
    import sys

    from monitor import options

    shown = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    section = shown.split("slurpy monitor:")[1].split("\n\n")[0]
    flags = {line.split()[0].split("=")[0] for line in section.splitlines() if line.startswith("  --")}
    assert flags == {o.flag for o in options.OPTIONS}


def subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    """The parser of subcommand ``name`` (argparse offers no public way to reach it)."""
    [subparsers] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return subparsers.choices[name]


def test_every_target_command_defaults_alike_and_an_empty_answer_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SLURPY_TARGET", raising=False)
    history = str(tmp_path / "h.sqlite")
    assert main(["uptime", "--history", history]) == 0
    assert capsys.readouterr().out == f"no runs of target sandbox in {history}: nothing to compute uptime from\n"
    assert main(["alerts", "list", "--history", history]) == 0
    assert capsys.readouterr().out == f"no alert messages for target sandbox in {history}\n"
    monkeypatch.setenv("SLURPY_TARGET", "staging.example")
    assert main(["alerts", "list", "--history", history]) == 0
    assert "target staging.example" in capsys.readouterr().out
    assert main(["alerts", "list", "--target", "production.example", "--history", history]) == 0
    assert "target production.example" in capsys.readouterr().out
    for command in (
        ["uptime"],
        ["status-page"],
        ["alerts", "evaluate"],
        ["alerts", "list"],
        ["history", "gaps"],
        ["watch"],
    ):
        action = subcommand(parser(), command[0])
        if len(command) > 1:
            action = subcommand(action, command[1])
        target = next(a for a in action._actions if "--target" in a.option_strings)
        assert target.default is None and "$SLURPY_TARGET, else sandbox" in (target.help or ""), command
