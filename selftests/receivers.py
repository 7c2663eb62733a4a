"""Real local receivers for alerts: an HTTP server that records what it got (Slack and generic
webhooks, heartbeats, and enough of GitHub's issues API), and an SMTP server with STARTTLS and
login (aiosmtpd). Both listen on 127.0.0.1 and can be switched down and up."""
from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """``down`` answers 503 to everything (a receiver having an outage); GitHub's
    ``/repos/<o>/<r>/issues`` routes answer as GitHub does (create, list, comment, close).

    ``hostile`` maps a path prefix to a way of misbehaving *after* the whole request was read
    (and recorded in ``received``): ``drip`` (the answer one byte every ``drip_s``), ``slow``
    (a 200 after ``slow_s``), ``hang`` (never answers), ``500``, ``close`` (closes without a
    word), ``double`` (two 200 answers to one request)."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    down: bool = False
    issues: dict[int, dict] = field(default_factory=dict)
    hostile: dict[str, str] = field(default_factory=dict)
    drip_s: float = 1.0
    slow_s: float = 3.0
    stopping: threading.Event = field(default_factory=threading.Event)

    def keys(self, path_prefix: str) -> set[str]:
        """The distinct Idempotency-Key values that reached ``path_prefix``: what a receiver that
        honours the header keeps."""
        return {r.headers.get("Idempotency-Key", "") for r in self.got(path_prefix)}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def got(self, path_prefix: str = "") -> list[Received]:
        return [r for r in self.received if r.path.startswith(path_prefix)]

    @classmethod
    def start(cls) -> HttpReceiver:
        receiver: HttpReceiver

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.down:
                    self._answer(503, {"message": "receiver down"})
                    return
                receiver.received.append(Received(self.command, self.path, dict(self.headers), body))
                path = self.path.split("?")[0]
                misbehave = next((how for prefix, how in receiver.hostile.items() if path.startswith(prefix)), "")
                if misbehave:
                    self._misbehave(misbehave)
                    return
                parts = path.strip("/").split("/")
                if parts[:1] == ["repos"] and len(parts) >= 4 and parts[3] == "issues":
                    self._github(parts[4:], json.loads(body or b"{}"))
                else:
                    self._answer(200, {"ok": True})

            def _misbehave(self, how: str) -> None:
                self.close_connection = True
                if how == "hang":
                    receiver.stopping.wait()
                elif how == "close":
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif how == "500":
                    self._answer(500, {"message": "internal error"})
                elif how == "slow":
                    if not receiver.stopping.wait(receiver.slow_s):
                        self._answer(200, {"ok": True})
                elif how == "double":
                    self._answer(200, {"ok": True})
                    self._answer(200, {"ok": True})
                elif how == "drip":
                    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\": true}"
                    for byte in answer:
                        if receiver.stopping.wait(receiver.drip_s):
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()

            def _github(self, rest: list[str], data: dict) -> None:
                if not rest and self.command == "POST":
                    number = len(receiver.issues) + 1
                    receiver.issues[number] = {**data, "state": "open", "comments": []}
                    self._answer(201, {"number": number})
                elif not rest and self.command == "GET":
                    listed = [{"number": n, "body": i.get("body", ""), "state": i["state"]}
                              for n, i in sorted(receiver.issues.items(), reverse=True)]
                    self._answer(200, listed)
                elif len(rest) == 2 and rest[1] == "comments" and self.command == "GET":
                    self._answer(200, [{"id": n, "body": c} for n, c in
                                       enumerate(receiver.issues[int(rest[0])]["comments"], start=1)])
                elif len(rest) == 2 and rest[1] == "comments":
                    receiver.issues[int(rest[0])]["comments"].append(data["body"])
                    self._answer(201, {"id": 1})
                elif len(rest) == 1 and self.command == "PATCH":
                    receiver.issues[int(rest[0])].update(data)
                    self._answer(200, {"number": int(rest[0])})
                else:
                    self._answer(404, {"message": "Not Found"})

            def _answer(self, status: int, data: dict | list) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_POST = do_PATCH = do_GET = _handle

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        receiver = cls(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return receiver

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    """aiosmtpd with STARTTLS required before AUTH, and one account."""

    def __init__(self, tmp: Path, user: str = "alerts", password: str = "s3cret-smtp"):
        import ssl

        import trustme
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = tmp / "smtp-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self.messages: list[Any] = []
        self.user, self.password = user, password
        received = self.messages

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
                received.append(message_from_bytes(envelope.content))
                return "250 OK"

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535 itself

        with socket.socket() as probe:  # aiosmtpd connects to its own port once started: it needs a real one
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, tls_context=context, require_starttls=True,
                                     authenticator=authenticate, auth_require_tls=True)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
