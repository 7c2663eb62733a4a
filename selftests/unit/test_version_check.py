"""The post-deploy gate's version check, both ways, against a local server that reports its
version where a profile says (a JSON field, a header); the real test module is the suite."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.analysers.version import judge_version, read_version
from monitor.profile import VersionSource

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]
SERVED = "3f2c1ab"


def test_read_version_from_a_json_field_or_a_header():
    field = VersionSource(path="/api/health", json_field="build.sha")
    assert read_version(field, {}, b'{"ok": true, "build": {"sha": "3f2c1ab"}}') == ("3f2c1ab", "JSON field build.sha")
    assert read_version(field, {}, b'{"ok": true}') == (None, "JSON field build.sha")
    assert read_version(field, {}, b'{"build": {"sha": true}}')[0] is None
    assert read_version(field, {}, b"<html>") == (None, "JSON field build.sha (the body is not JSON)")
    header = VersionSource(path="/", header="X-App-Version")
    assert read_version(header, {"X-App-Version": "v2"}, b"") == ("v2", "header X-App-Version")


def test_judge_version_says_what_was_expected_and_what_came():
    assert judge_version("v2", "header X", "v2") == []
    assert judge_version("v1", "header X", "v2") == [
        "expected version v2 (just deployed) in header X, got v1: the old build still answers"
    ]
    assert judge_version(None, "JSON field version", "v2") == ["expected version v2 in JSON field version, found none"]


@pytest.mark.parametrize("fields", [{}, {"json_field": "v", "header": "X-V"}])
def test_a_version_source_names_exactly_one_place(fields):
    with pytest.raises(ValidationError, match="exactly one of json_field"):
        VersionSource(path="/h", **fields)


class _Versioned(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"ok": True, "build": {"sha": SERVED}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-App-Version", SERVED)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Versioned)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


PROFILE = """
sensitive = false
timeout_s = 2
[services.frontend]
base_url = "{url}"
latency_ms = 500
version = {{ path = "/api/health", header = "X-App-Version" }}
[[services.frontend.health]]
path = "/api/health"
[services.backend]
base_url = "{url}"
latency_ms = 500
version = {{ path = "/health/healthz", json_field = "{field}" }}
[[services.backend.health]]
path = "/health/healthz"
"""


@pytest.fixture
def gate(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, server):
    monkeypatch.delenv("SLURPY_DEPLOY_VERSION", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    pytester.makepyfile(test_version=(ROOT / "tests/smoke/test_version.py").read_text())

    def run(*args: str, field: str = "build.sha"):
        targets = pytester.path / "targets"
        targets.mkdir(exist_ok=True)
        (targets / "t.toml").write_text(PROFILE.format(url=server, field=field))
        monkeypatch.setenv("SLURPY_TARGETS_DIR", str(targets))
        outcome = pytester.runpytest(
            "--target", "t", "--results", "r.jsonl", "-p", "no:cacheprovider", "-p", "no:playwright", *args
        )
        results = pytester.path / "r.jsonl"
        records = {r["id"]: r for r in map(json.loads, results.read_text().splitlines())} if results.exists() else {}
        results.unlink(missing_ok=True)
        return outcome, records

    return run


def test_the_served_version_is_the_deployed_one(gate):
    outcome, records = gate("--deploy-version", SERVED)
    outcome.assert_outcomes(passed=2)
    assert {i: (r["verdict"], r["deploy_version"]) for i, r in records.items()} == {
        "version:frontend": ("pass", SERVED),
        "version:backend": ("pass", SERVED),
    }


def test_a_stale_deploy_fails_with_the_version_category(gate):
    outcome, records = gate("--deploy-version", "9d9d9d9")
    outcome.assert_outcomes(failed=2)
    assert {i: (r["verdict"], r["category"]) for i, r in records.items()} == {
        "version:frontend": ("fail", "version"),
        "version:backend": ("fail", "version"),
    }
    assert records["version:backend"]["message"].endswith(
        "/health/healthz: expected version 9d9d9d9 (just deployed) in JSON field build.sha, got 3f2c1ab: "
        "the old build still answers"
    )


def test_a_service_that_stopped_reporting_its_version_fails(gate):
    _, records = gate("--deploy-version", SERVED, field="release")
    assert records["version:backend"]["message"].endswith("expected version 3f2c1ab in JSON field release, found none")
    assert records["version:frontend"]["verdict"] == "pass"


def test_without_a_deployed_version_there_is_nothing_to_compare_and_no_check(gate):
    outcome, records = gate()
    outcome.assert_outcomes()
    assert records == {}
    outcome.stdout.fnmatch_lines(["*2 deselected*"])
