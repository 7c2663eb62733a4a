"""Run the sandbox: the three services on their own 127.0.0.1 ports over HTTPS, plus a plain-HTTP
control channel that switches faults at run time. Everything runs in one process and one loop."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import Body, FastAPI, HTTPException

from slurpy_sandbox.apps import APPS, PUBLIC_CONFIG, http_redirect_app
from slurpy_sandbox.certs import SandboxCerts
from slurpy_sandbox.faults import FAULTS, PROTECTION_SECRET_ENV, FaultState, UnknownFault
from slurpy_sandbox.gotrue import Tokens
from slurpy_sandbox.store import Store
from slurpy_sandbox.web import WebEnv

HOST = "127.0.0.1"
MONITOR_EMAIL = "monitor@sandbox.test"


def _bind(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Set on the listener so accepted sockets inherit it: without it, here, uvicorn's separate
    # header and body writes met Nagle plus delayed ACK and every answer gained ~40 ms.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((HOST, port))
    sock.listen(128)
    return sock


class Supervisor:
    def __init__(self, state_file: Path, initial_faults: list[tuple[str, dict[str, Any]]]):
        self.state_file = state_file
        self.faults = FaultState()
        self.faults.on_clear.append(lambda: self.web_env.traffic.update(tagged=0, untagged=0))
        for name, params in initial_faults:
            self.faults.switch_on(name, params)
        self.ports: dict[str, int] = {}
        self.servers: dict[str, uvicorn.Server] = {}
        self.tasks: dict[str, asyncio.Task] = {}
        self.stop = asyncio.Event()

    def _service_context(self, service: str) -> ssl.SSLContext:
        """A server context whose SNI callback swaps in the certificate the faults ask for; the
        callback runs on every handshake (with or without SNI), so a switch needs no restart."""

        def choose(ssl_object, _server_name, _context):
            ssl_object.context = self.contexts[self.faults.certificate(service)]

        context = self.certs.context("valid")
        context.sni_callback = choose
        return context

    async def _start_service(self, service: str) -> None:
        sock = _bind(self.ports.get(service, 0))
        self.ports[service] = sock.getsockname()[1]
        config = uvicorn.Config(
            self.apps[service],
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            server_header=False,
            # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default, and the
            # monitor connects from there: the limiter must see the real peer.
            proxy_headers=False,
        )
        config.load()
        config.ssl = self._service_context(service)
        server = uvicorn.Server(config)
        self.servers[service] = server
        self.tasks[service] = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if self.tasks[service].done():
                self.tasks[service].result()
            await asyncio.sleep(0.01)

    async def _stop_service(self, service: str) -> None:
        self.servers[service].should_exit = True
        await self.tasks.pop(service)

    async def reconcile(self) -> None:
        """Bring each service's listening state in line with the active faults."""
        for service in APPS:
            running = service in self.tasks
            if self.faults.is_down(service) and running:
                await self._stop_service(service)
            elif not self.faults.is_down(service) and not running:
                await self._start_service(service)

    def control_app(self) -> FastAPI:
        app = FastAPI(title="Slurpy sandbox control (sandbox only)")

        @app.get("/faults")
        async def list_faults() -> dict:
            return {
                "active": self.faults.active,
                "available": {
                    n: {"service": f.service, "suite": f.suite, "description": f.description, "params": f.defaults()}
                    for n, f in FAULTS.items()
                },
            }

        @app.put("/faults/{name}")
        async def switch_on(name: str, params: dict[str, Any] = Body(default={})) -> dict:
            try:
                self.faults.switch_on(name, params)
            except UnknownFault as exc:
                raise HTTPException(404, str(exc)) from None
            await self.reconcile()
            return {"active": self.faults.active}

        @app.delete("/faults/{name}")
        async def switch_off(name: str) -> dict:
            try:
                self.faults.switch_off(name)
            except UnknownFault as exc:
                raise HTTPException(404, str(exc)) from None
            await self.reconcile()
            return {"active": self.faults.active}

        @app.get("/traffic")
        async def traffic() -> dict:
            return self.web_env.traffic

        @app.get("/tokens")
        async def tokens() -> dict:
            """Every access and refresh token handed out: the matrix proves none reached what the monitor keeps."""
            return {"issued": self.web_env.tokens.issued}

        @app.get("/outbox")
        async def outbox(to: str) -> dict:
            return {"messages": self.web_env.store.inbox(to)}

        @app.delete("/faults")
        async def clear() -> dict:
            self.faults.clear()
            await self.reconcile()
            return {"active": self.faults.active}

        return app

    async def run(self) -> None:
        self.certs = SandboxCerts(self.state_file.parent / "tls")
        self.contexts = {state: self.certs.context(state) for state in self.certs.leaves}
        store = Store(self.state_file.parent / "users.sqlite")
        monitor_password = secrets.token_urlsafe(12)
        store.create_user(MONITOR_EMAIL, monitor_password, "Morgan", "Monitor", "monitor", confirmed=True)
        self.web_env = WebEnv(
            store=store,
            tokens=Tokens(store),
            admin_token=secrets.token_urlsafe(24),
            webhook_secret="whsec_" + secrets.token_hex(16),
            protection_bypass=secrets.token_urlsafe(24),
            self_url=lambda: f"https://{HOST}:{self.ports['frontend']}",
            mcp_url=lambda: f"https://{HOST}:{self.ports['mcp']}",
            ca_path=str(self.certs.ca_path),
        )
        self.apps: dict[str, Any] = {service: make(self.faults, self.web_env) for service, make in APPS.items()}
        control_sock, http_sock = _bind(), _bind()
        control = uvicorn.Server(
            uvicorn.Config(self.control_app(), log_level="warning", access_log=False, lifespan="off")
        )
        control_task = asyncio.create_task(control.serve(sockets=[control_sock]))
        http_app = http_redirect_app(self.faults, lambda: self.ports["frontend"])
        http = uvicorn.Server(
            uvicorn.Config(http_app, log_level="warning", access_log=False, lifespan="off", server_header=False)
        )
        http_task = asyncio.create_task(http.serve(sockets=[http_sock]))
        for service in APPS:
            if self.faults.is_down(service):  # reserve a port now, so its URL is known while it is down
                with _bind() as sock:
                    self.ports[service] = sock.getsockname()[1]
        await self.reconcile()
        while not (control.started and http.started):
            await asyncio.sleep(0.01)
        state = {
            "pid": os.getpid(),
            "control_url": f"http://{HOST}:{control_sock.getsockname()[1]}",
            "ca_bundle": str(self.certs.ca_path),
            "services": {s: f"https://{HOST}:{p}" for s, p in self.ports.items()},
            "http_services": {"frontend": f"http://{HOST}:{http_sock.getsockname()[1]}"},
            "inbox_url": f"http://{HOST}:{control_sock.getsockname()[1]}/outbox?to={{email}}",
            # Credentials the sandbox made up; the monitor exports them into the environment
            # variables that targets/sandbox.toml names, as a real target's CI would.
            "secrets": {
                "SLURPY_SANDBOX_MONITOR_EMAIL": MONITOR_EMAIL,
                "SLURPY_SANDBOX_MONITOR_PASSWORD": monitor_password,
                "SLURPY_SANDBOX_ADMIN_TOKEN": self.web_env.admin_token,
                PROTECTION_SECRET_ENV: self.web_env.protection_bypass,
            },
            # Public by design (it is in the page's bundle), but a profile still names it by variable.
            "public": {"SLURPY_SANDBOX_SUPABASE_ANON_KEY": PUBLIC_CONFIG["supabaseAnonKey"]},
        }
        tmp = self.state_file.with_suffix(".tmp")
        tmp.touch(mode=0o600)
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.state_file)
        await self.stop.wait()
        control.should_exit = http.should_exit = True
        await asyncio.gather(*(self._stop_service(service) for service in list(self.tasks)), control_task, http_task)


def serve(state_file: Path, initial_faults: list[tuple[str, dict[str, Any]]]) -> None:
    """Run until SIGTERM/SIGINT. The loop runs in a worker thread so that the several uvicorn
    servers do not fight over the process's signal handlers."""
    supervisor = Supervisor(state_file, initial_faults)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(supervisor.run(),), daemon=True)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    thread.start()
    while not stopping.wait(0.2):
        if not thread.is_alive():
            raise SystemExit("sandbox stopped unexpectedly")
    loop.call_soon_threadsafe(supervisor.stop.set)
    thread.join(timeout=10)
    state_file.unlink(missing_ok=True)
