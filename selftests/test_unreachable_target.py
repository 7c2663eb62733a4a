"""A profile pointing where nothing listens: failed checks with category connect, inside the
timeout, and no traceback spam."""

import socket

from suite_runner import run_suite


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_nothing_listening_fails_with_connect_and_no_traceback(sandbox, tmp_path):
    sandbox.clear()
    url = f"https://127.0.0.1:{free_port()}"
    run = run_suite(
        "tests/smoke",
        tmp_path / "r.jsonl",
        "--url",
        f"backend={url}",
        env={"SLURPY_SANDBOX_STATE": str(sandbox.state_file), "SLURPY_TARGET": "sandbox"},
    )
    assert run.not_passing() == {
        "health:backend:/health/healthz": ("fail", "connect"),
        "latency:backend": ("fail", "connect"),
        "tls:backend": ("fail", "connect"),
    }
    for result in run.results.values():
        if result.service == "backend":
            assert url in result.message and "Connection refused" in result.message
    assert "Traceback" not in run.output and "httpx." not in run.output, run.output
