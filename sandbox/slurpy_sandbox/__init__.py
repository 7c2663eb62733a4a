"""A local stand-in of Slurpy's services, faithful to the contract, with fault switches.

``Sandbox.start()`` runs it in a child process and waits until every service listens;
``Sandbox.attach()`` joins one that is already running (started by hand, by the pytest
controller for its xdist workers, or by the project's own tests).
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import httpx

from monitor.profile import Profile

STATE_ENV = "SLURPY_SANDBOX_STATE"


class SandboxError(RuntimeError):
    pass


class Sandbox:
    def __init__(self, state_file: Path, process: subprocess.Popen | None = None):
        self.state_file = state_file
        self.process = process
        self.state = json.loads(state_file.read_text())
        # The control API is plain http on 127.0.0.1: no certificate to verify, so no CA bundle to
        # load (httpx's default, certifi's, costs ~25 ms of CPU in every process that joins).
        self._control = httpx.Client(base_url=self.state["control_url"], timeout=15, trust_env=False, verify=False)

    @property
    def urls(self) -> dict[str, str]:
        return dict(self.state["services"])

    @property
    def http_urls(self) -> dict[str, str]:
        return dict(self.state.get("http_services", {}))

    @property
    def ca_bundle(self) -> str:
        return self.state["ca_bundle"]

    @classmethod
    def start(cls, faults: Sequence[str] = (), timeout_s: float = 30) -> Sandbox:
        return Starting(faults).wait(timeout_s)

    @classmethod
    def attach(cls, state_file: str | Path) -> Sandbox:
        path = Path(state_file)
        if not path.is_file():
            raise SandboxError(f"no running sandbox: {path} does not exist (start one with `slurpy-sandbox serve`)")
        return cls(path)

    @property
    def secrets(self) -> dict[str, str]:
        """The credentials this sandbox made up (and its public anon key), by the environment
        variable names its profile uses."""
        return {**self.state.get("public", {}), **self.state.get("secrets", {})}

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token the sandbox's auth has handed out so far."""
        return self._call("GET", "/tokens")["issued"]

    def live_profile(self, profile: Profile, keep: Collection[str] = ()) -> Profile:
        """``profile`` pointed at this sandbox: its URLs (except the services in ``keep``, which
        the user pointed elsewhere), its CA, its outbox as the test inbox, and its frontend as the
        Supabase Auth that ``[auth]`` signs in with."""
        # A --url naming this sandbox's own service (a rehearsed deploy reports its URL) points nowhere else.
        keep = {
            name for name in keep if name in profile.services and profile.services[name].base_url != self.urls.get(name)
        }
        services = {}
        for name, spec in profile.services.items():
            if name in keep or name not in self.urls:
                services[name] = spec
                continue
            security = spec.security
            if name in self.http_urls:
                security = security.model_copy(update={"http_url": self.http_urls[name]})
            services[name] = spec.model_copy(update={"base_url": self.urls[name], "security": security})
        auth = profile.auth
        if auth.method == "supabase-password" and "frontend" not in keep and "frontend" in self.urls:
            auth = auth.model_copy(update={"supabase_url": self.urls["frontend"]})
        return profile.model_copy(
            update={
                "services": services,
                "auth": auth,
                "tls": profile.tls.model_copy(update={"ca_bundle": self.ca_bundle}),
                "journeys": profile.journeys.model_copy(update={"inbox_url": self.state.get("inbox_url")}),
            }
        )

    def export(self) -> None:
        """Let child processes (xdist workers, nested pytest runs) attach to this sandbox."""
        os.environ[STATE_ENV] = str(self.state_file)

    def _call(self, method: str, path: str, **kwargs) -> dict[str, Any]:
        response = self._control.request(method, path, **kwargs)
        if response.status_code == 404:
            raise SandboxError(response.json()["detail"])
        response.raise_for_status()
        return response.json()

    def faults(self) -> dict[str, Any]:
        return self._call("GET", "/faults")

    def switch_on(self, name: str, **params: Any) -> None:
        self._call("PUT", f"/faults/{name}", json=params)

    def switch_off(self, name: str) -> None:
        self._call("DELETE", f"/faults/{name}")

    def traffic(self) -> dict[str, int]:
        return self._call("GET", "/traffic")

    def test_accounts(self) -> list[str]:
        """Synthetic accounts the sandbox still holds (through its own test-account API)."""
        token = self.state["secrets"]["SLURPY_SANDBOX_ADMIN_TOKEN"]
        answer = httpx.get(
            self.urls["frontend"] + "/api/test-accounts",
            verify=ssl.create_default_context(cafile=self.ca_bundle),
            trust_env=False,
            headers={"Authorization": f"Bearer {token}", "X-Synthetic-Monitor": "selftest"},
        )
        answer.raise_for_status()
        return answer.json()["accounts"]

    def clear(self) -> None:
        self._call("DELETE", "/faults")

    def stop(self) -> None:
        self._control.close()
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Starting:
    """A sandbox process that has been launched but may not listen yet: launch early, wait late."""

    def __init__(self, faults: Sequence[str] = ()):
        self.directory = Path(tempfile.mkdtemp(prefix="slurpy-sandbox-"))
        self.state_file = self.directory / "state.json"
        command = [sys.executable, "-m", "slurpy_sandbox", "serve", "--state-file", str(self.state_file)]
        for fault in faults:
            command += ["--fault", fault]
        with (self.directory / "sandbox.log").open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait(self, timeout_s: float = 30) -> Sandbox:
        deadline = time.monotonic() + timeout_s
        while not self.state_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                output = (self.directory / "sandbox.log").read_text(errors="replace")[-2000:]
                raise SandboxError(f"the sandbox did not start (exit code {self.process.poll()}):\n{output}")
            time.sleep(0.02)
        return Sandbox(self.state_file, self.process)
