"""Secrets never leave (issue 18, item 1), proven on one real run that handles every kind of
secret and provokes every way one used to leak: the smoke suite and the sign-in journey against
the sandbox; a failing health check that opens an incident; a webhook, a Slack webhook and a
heartbeat whose receiver answers 404 echoing the secret path it was called on (``Cannot POST
/hook/<secret>``, as Express does); a bearer token for the webhook; a request header from a secret
on every request (the sandbox profile's protection bypass: probes and browser); live logging at DEBUG
(httpx logs every URL it requests);
a failed journey that keeps its Playwright trace (the password typed into the sign-in form); a
step summary. Then every canary is grepped in every file the run produced (results JSONL, text
history, SQLite with its WAL, JUnit, Allure results, the step summary, trace zips unzipped) and in
everything it printed, and ``alerts list`` reads the delivery errors back."""

from __future__ import annotations

import secrets
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from monitor import redact
from slurpy_sandbox import STATE_ENV
from testkit.child_env import bytecode_env

ROOT = Path(__file__).resolve().parent.parent
SLURPY_MONITOR = [sys.executable, "-m", "monitor.commands.monitor"]

ALERTS = """
[alerts]
open_after = 1
delivery_attempts = 1
delivery_backoff_s = 0
burn_rate = false
heartbeat_secret = "ping"

[[alerts.channels]]
name = "hook"
kind = "webhook"
url_secret = "hook"
token_secret = "hook_token"

[[alerts.channels]]
name = "chat"
kind = "slack"
url_secret = "slack"
"""


class EchoingReceiver:
    """Answers every request 404 ``Cannot POST <path>``: a receiver that echoes its secret path."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.paths.append(self.path)
                body = f"<pre>Cannot POST {self.path}</pre>".encode()
                self.send_response(404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    echo = EchoingReceiver()
    yield echo
    echo.stop()


def holding(root: Path, needle: str) -> list[str]:
    """Every file under ``root`` (and member of a zip) whose bytes hold ``needle``."""
    found, raw = [], needle.encode()
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                found += [f"{path}:{name}" for name in archive.namelist() if raw in archive.read(name)]
        elif raw in path.read_bytes():
            found.append(str(path))
    return found


def test_no_secret_in_any_output_of_a_run_that_handles_and_provokes_them_all(sandbox, receiver, tmp_path):
    targets = tmp_path / "targets"
    targets.mkdir()
    profile = (
        (ROOT / "targets" / "sandbox.toml")
        .read_text()
        .replace(
            "[secrets]\n",
            '[secrets]\nhook = "CANARY_HOOK"\nhook_token = "CANARY_HOOK_TOKEN"\nping = "CANARY_PING"\n'
            'slack = "CANARY_SLACK"\n',
            1,
        )
    )
    (targets / "sandbox.toml").write_text(profile + ALERTS)
    hook_secret, ping_secret = f"hook-{secrets.token_hex(12)}", f"ping-{secrets.token_hex(12)}"
    slack_secret = f"T0{secrets.token_hex(4)}/B0{secrets.token_hex(4)}/{secrets.token_hex(12)}"
    token = f"canary-token-{secrets.token_hex(12)}"
    out = tmp_path / "out"
    out.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        STATE_ENV: str(sandbox.state_file),
        "SLURPY_TARGET": "sandbox",
        "SLURPY_TARGETS_DIR": str(targets),
        "CANARY_HOOK": f"{receiver.url}/hook/{hook_secret}",
        "CANARY_HOOK_TOKEN": token,
        "CANARY_PING": f"{receiver.url}/ping/{ping_secret}",
        "CANARY_SLACK": f"{receiver.url}/services/{slack_secret}",
        "GITHUB_STEP_SUMMARY": str(out / "step-summary.md"),
        **bytecode_env(),
    }
    sandbox.clear()
    sandbox.switch_on("backend-degraded")  # a failing check: an incident opens, the webhook is called
    sandbox.switch_on("chat-page-js-error")  # the sign-in journey fails: its trace (the typed password) is kept
    history = out / "history.sqlite"
    run = subprocess.run(
        [
            *SLURPY_MONITOR,
            "run",
            "smoke",
            "journeys",
            "-k",
            "health or sign_in",
            "--results",
            str(out / "results.jsonl"),
            "--history",
            str(history),
            "--history-dir",
            str(out / "text-history"),
            "--output",
            str(out / "artifacts"),
            "--log-cli-level=DEBUG",
        ],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    listing = subprocess.run(
        [*SLURPY_MONITOR, "alerts", "list", "--history", str(history)],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    printed = run.stdout + run.stderr + listing.stdout + listing.stderr
    sandbox.clear()

    # Everything that used to leak was exercised: the receiver was called on both secret paths and
    # echoed them, httpx logged the requests, a trace was kept, every report was written.
    assert run.returncode == 1, printed
    assert {p.split("/")[1] for p in receiver.paths} == {"hook", "ping", "services"}, receiver.paths
    assert f"Cannot POST {redact.MASK}" in listing.stdout, listing.stdout + listing.stderr
    assert f"HTTP Request: POST {redact.MASK}" in run.stdout
    assert list((out / "artifacts").rglob("trace.zip")), "the failed journey kept no trace"
    for report in ("results.jsonl", "history.sqlite", "step-summary.md", "results/junit.xml"):
        assert (out / report).is_file(), report
    assert list((out / "text-history").rglob("*.jsonl")) and list((out / "results" / "allure-results").iterdir())

    live = sandbox.secrets
    canaries = {
        "webhook path": hook_secret,
        "heartbeat path": ping_secret,
        "webhook token": token,
        "slack webhook path": slack_secret,
        "slack token alone": slack_secret.split("/")[-1],
        "request header (the sandbox's protection bypass)": live["SLURPY_SANDBOX_PROTECTION_BYPASS"],
        "monitor password": live["SLURPY_SANDBOX_MONITOR_PASSWORD"],
        "admin token": live["SLURPY_SANDBOX_ADMIN_TOKEN"],
    }
    leaks = {
        name: holding(out, value) + (["printed output"] if value in printed else []) for name, value in canaries.items()
    }
    assert leaks == {name: [] for name in canaries}
