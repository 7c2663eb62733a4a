"""Real local receivers for alerts: an HTTP server that records what it got (Slack and generic
webhooks, heartbeats, enough of GitHub's issues API, and PagerDuty's Events API v2 and Opsgenie's
Alert API, which validate each payload against the provider's documented schema and refuse what
the provider would refuse), and an SMTP server with STARTTLS and login (aiosmtpd). Both listen
on 127.0.0.1 and can be switched down and up."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema

from testkit.provider_schemas import OPSGENIE_CLOSE, OPSGENIE_CREATE, PAGERDUTY_EVENT


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def _complaints(schema: dict, data: Any) -> list[str]:
    """What is wrong, by field and rule, without echoing values (as the providers answer: a
    rejected routing key is not repeated back)."""
    return [
        f"'{'.'.join(map(str, e.absolute_path)) or 'body'}' is invalid ({e.validator}: {e.validator_value})"
        for e in jsonschema.Draft202012Validator(schema).iter_errors(data)
    ]


@dataclass
class HttpReceiver:
    """``down`` answers 503 to everything (a receiver having an outage); GitHub's
    ``/repos/<o>/<r>/issues`` routes answer as GitHub does (create, list, comment, close);
    ``/v2/enqueue`` as PagerDuty's Events API (202, or 400 with the schema's complaints) keeping
    each alert by dedup key, and ``/v2/alerts`` as Opsgenie's (202, 422 for an invalid body, 401
    without ``GenieKey``) keeping each alert by alias. What was refused is in ``refused``.

    ``hostile`` maps a path prefix to a way of misbehaving *after* the whole request was read
    (and recorded in ``received``): ``drip`` (the answer one byte every ``drip_s``), ``slow``
    (a 200 after ``slow_s``), ``hang`` (never answers), ``500``, ``close`` (closes without a
    word), ``double`` (two 200 answers to one request)."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    down: bool = False
    issues: dict[int, dict] = field(default_factory=dict)
    pagerduty: dict[str, dict] = field(default_factory=dict)
    opsgenie: dict[str, dict] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
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
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender gave up part-way: no message, as any HTTP server would
                    self.close_connection = True
                    return
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
                elif self.path == "/v2/enqueue":
                    self._pagerduty(json.loads(body or b"{}"))
                elif self.path.startswith("/v2/alerts"):
                    self._opsgenie(json.loads(body or b"{}"))
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
                    answer = b'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"ok": true}'
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
                    listed = [
                        {"number": n, "body": i.get("body", ""), "state": i["state"]}
                        for n, i in sorted(receiver.issues.items(), reverse=True)
                    ]
                    self._answer(200, listed)
                elif len(rest) == 2 and rest[1] == "comments" and self.command == "GET":
                    self._answer(
                        200,
                        [
                            {"id": n, "body": c}
                            for n, c in enumerate(receiver.issues[int(rest[0])]["comments"], start=1)
                        ],
                    )
                elif len(rest) == 2 and rest[1] == "comments":
                    receiver.issues[int(rest[0])]["comments"].append(data["body"])
                    self._answer(201, {"id": 1})
                elif len(rest) == 1 and self.command == "PATCH":
                    receiver.issues[int(rest[0])].update(data)
                    self._answer(200, {"number": int(rest[0])})
                else:
                    self._answer(404, {"message": "Not Found"})

            def _refuse(self, status: int, errors: list[str], data: dict) -> None:
                receiver.refused.append(f"{self.path}: {'; '.join(errors)}")
                self._answer(status, data)

            def _pagerduty(self, event: dict) -> None:
                errors = _complaints(PAGERDUTY_EVENT, event)
                if errors:
                    self._refuse(
                        400, errors, {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
                    )
                    return
                key = event.get("dedup_key") or f"generated-{len(receiver.pagerduty)}"
                alert = receiver.pagerduty.setdefault(key, {"status": "none", "events": []})
                alert["events"].append(event["event_action"])
                if event["event_action"] == "trigger" and alert["status"] != "triggered":
                    alert["status"], alert["payload"] = "triggered", event["payload"]
                elif event["event_action"] == "resolve":
                    alert["status"] = "resolved"
                self._answer(202, {"status": "success", "message": "Event processed", "dedup_key": key})

            def _opsgenie(self, data: dict) -> None:
                if not self.headers.get("Authorization", "").startswith("GenieKey "):
                    self._refuse(
                        401, ["no GenieKey"], {"message": "Could not authenticate", "took": 0.0, "requestId": "r"}
                    )
                    return
                url = urlsplit(self.path)
                rest = url.path.removeprefix("/v2/alerts").strip("/").split("/")
                closing = len(rest) == 2 and rest[1] == "close"
                schema = OPSGENIE_CLOSE if closing else OPSGENIE_CREATE
                errors = _complaints(schema, data)
                if closing and parse_qs(url.query).get("identifierType") != ["alias"]:
                    errors.append("close by alias needs identifierType=alias")
                if errors or (rest != [""] and not closing):
                    self._refuse(
                        422,
                        errors or [f"no route {url.path}"],
                        {"message": "; ".join(errors), "took": 0.0, "requestId": "r"},
                    )
                    return
                if closing:
                    alert = receiver.opsgenie.setdefault(unquote(rest[0]), {"status": "none", "count": 0, "events": []})
                    alert["status"] = "closed"
                    alert["events"].append("close")
                else:
                    alert = receiver.opsgenie.setdefault(
                        data.get("alias") or data["message"], {"status": "none", "count": 0, "events": []}
                    )
                    if alert["status"] != "open":  # an open alert with the same alias is counted, not doubled
                        alert["status"], alert["create"] = "open", data
                    alert["count"] += 1
                    alert["events"].append("create")
                self._answer(202, {"result": "Request will be processed", "took": 0.01, "requestId": "r"})

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
        from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

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
            async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's name)
                assert isinstance(envelope.content, bytes)  # aiosmtpd decodes nothing unless asked (decode_data)
                received.append(message_from_bytes(envelope.content))
                return "250 OK"

        def authenticate(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
        ) -> AuthResult:
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535 itself

        with socket.socket() as probe:  # aiosmtpd connects to its own port once started: it needs a real one
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            authenticator=authenticate,
            auth_require_tls=True,
        )
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
