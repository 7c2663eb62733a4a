"""The channels an alert travels by, each a function ``(channel, message, ref, secret, attempt) ->
ref`` that raises :class:`DeliveryError` when the receiver did not take the message. ``ref`` is
what an earlier message of the same incident left behind (the GitHub issue's number); ``secret``
reads a logical secret name from the environment the profile names; ``attempt`` carries the
delivery's uniqueness key and the attempt's one wall-clock deadline.

PagerDuty (Events API v2) and Opsgenie (Alert API) are told of an incident by its key, so
their own deduplication, escalation and acknowledgement work as with any other source.

These talk to alert receivers, not to the target: they use httpx and smtplib directly, never
the :class:`~monitor.probe.Probe` (whose settings are the target's), but with the probe's deadline
(:class:`~monitor.probe.attempt_deadline.AttemptDeadline`): a receiver that drips or hangs costs
one deadline per attempt.

What a failure means for the message is said honestly: *not delivered* (refused, an error
answer, no connection: safe to send again) or *unconfirmed* (the whole request was written and
no answer came in time, or the connection broke while waiting: the receiver may have it).
Channels that can recognise a message they already have (:func:`dedupes`: GitHub issues by a
marker in the text, PagerDuty and Opsgenie by the incident key, a webhook whose receiver honours
``Idempotency-Key``) are sent again after an unconfirmed attempt; the others never are."""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from monitor.probe.attempt_deadline import REQUEST_WRITTEN, AttemptDeadline, read_capped
from monitor.probe.errors import BODY, HEADERS, SENDING, DeadlineExceeded, ProbeFailure, describe_error
from monitor.profile import AlertChannel

USER_AGENT = "slurpy-monitor/0.1 (+alerts)"
ANSWER_BYTES = 65_536  # of a receiver's answer: enough for an issue's JSON or an error text

Secret = Callable[[str], str]


class DeliveryError(Exception):
    """The receiver did not confirm the message. ``retry``: worth another try in this run (a
    network error, a 5xx or a 429); bad credentials or a wrong address are not, until the next
    run. ``unconfirmed``: the request was sent and no answer came: the receiver may have it."""

    def __init__(self, message: str, retry: bool = True, unconfirmed: bool = False):
        super().__init__(message)
        self.retry = retry and not unconfirmed
        self.unconfirmed = unconfirmed


class OutOfTime(DeliveryError):
    """Nothing was sent: the attempt's deadline had passed before its (next) request began."""

    def __init__(self) -> None:
        super().__init__("not sent: no time left in this attempt's deadline")


@dataclass(frozen=True)
class Attempt:
    """One try at one message: its uniqueness key (incident, event, channel) and the monotonic
    time its deadline passes. Every request of the attempt shares the deadline."""

    key: str
    deadline: float

    def left(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def token(self) -> str:
        """The key as the receiver sees it (``Idempotency-Key``, GitHub marker): stable across
        runs and jobs, and free of the target's and checks' names."""
        return hashlib.sha256(self.key.encode()).hexdigest()[:32]


def dedupes(channel: AlertChannel) -> bool:
    """Whether sending a message again cannot give the receiver a second copy: GitHub by the
    marker, PagerDuty by ``dedup_key`` and Opsgenie by ``alias`` (both the incident key), a webhook
    only when its receiver honours ``Idempotency-Key``."""
    return channel.kind in ("github", "pagerduty", "opsgenie") or (channel.kind == "webhook" and channel.idempotent)


def title(message: dict[str, Any]) -> str:
    """One line, the root cause first: ``[CRITICAL] production: backend unreachable: connection
    refused; also failing: latency, tls``; ``… backend worse: …``; ``[RESOLVED] … backend recovered
    (was: …)``. Reminder and resolution name the incident by its cause alone: ``also`` is what
    failed when it opened, and after "recovered" it would read as failing still."""
    where = message["target"]
    what = message.get("summary") or f"{message['check_id']} failing"
    kind = message["kind"]
    if kind == "resolved":
        return f"[RESOLVED] {where}: {message['check_id']} recovered (was: {what})"
    head = f"[{message['severity'].upper()}] {where}:"
    if kind == "worse":
        return f"{head} {message['check_id']} worse: {message['update']}"
    if kind == "reminder":
        return f"{head} still open: {what}"
    also = message.get("also") or []
    return f"{head} {what}" + (f"; also failing: {', '.join(also)}" if also else "")


def facts(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, value) of what a person scans first, in order, only those known: the run link only
    when there is one."""
    runs = message.get("failed_runs")  # none for a burn-rate alert: it is about time, not a streak of runs
    if message["kind"] == "resolved":
        span = f"{message['since']} to {message['resolved_at']}" + (
            f" ({runs} failed runs, {message['flaky_runs']} flaky passes while recovering)" if runs else ""
        )
    else:
        span = message["since"] + (f" ({runs} failed runs)" if runs else "")
    worse = message["kind"] == "worse"
    found = [
        ("service", message.get("service") or ""),
        ("new", (message.get("update_detail") or "") if worse else ""),
        ("failing from" if message["kind"] == "resolved" else "open since" if worse else "since", span),
        ("incident", (message.get("summary") or "") if worse else ""),
        ("cause", message.get("cause") or ""),
        ("last error", (message.get("last_error") or "") if message["kind"] in ("opened", "reminder") else ""),
        ("owner", message.get("owner") or ""),
        ("runbook", message.get("runbook") or ""),
        ("reproduce", message.get("reproduce") or ""),
        ("checked", message.get("url") or ""),
        ("run", message.get("run_url") or ""),
    ]
    return [(name, value) for name, value in found if value]


def text(message: dict[str, Any]) -> str:
    return "\n".join([title(message), *(f"{name}: {value}" for name, value in facts(message))])


def _request(method: str, url: str, attempt: Attempt, *, need_body: bool = False, **kwargs: Any) -> httpx.Response:
    """One request within what is left of the attempt's deadline. A 2xx answer's body is read
    only when ``need_body`` (a receiver dripping its body after 200 has taken the message)."""
    seconds = attempt.left()
    if seconds <= 0:
        raise OutOfTime()
    deadline = AttemptDeadline(seconds)
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    status: int | None = None
    content = b""
    try:
        with httpx.Client(timeout=seconds, trust_env=False, limits=httpx.Limits(max_keepalive_connections=0)) as client:
            request = client.build_request(method, url, headers=headers, extensions={"trace": deadline.trace}, **kwargs)
            response = client.send(request, stream=True)
            status = response.status_code
            try:
                if need_body or status >= 300:
                    deadline.phase = BODY
                    content = read_capped(response, ANSWER_BYTES, True, deadline)[0]
                    deadline.check()  # a body that ends at the shutdown ended on the deadline
            finally:
                response.close()
    except (httpx.HTTPError, OSError, ProbeFailure) as exc:
        if status is None or (status < 300 and need_body):
            phase = deadline.expired_in or deadline.phase
            broke = _what_broke(deadline.failure(exc), phase, seconds)
            if method != "GET" and phase in REQUEST_WRITTEN:
                raise DeliveryError(
                    f"unconfirmed: the request was sent and {broke}: the receiver may have it", unconfirmed=True
                ) from None
            raise DeliveryError(f"not delivered: {broke}") from None
        # else the receiver already said no, and what broke was reading why
    finally:
        deadline.close()
    if status >= 300:
        retry = status >= 500 or status == 429
        hint = " (check the token or URL in the secret)" if status in (401, 403, 404) else ""
        raise DeliveryError(f"HTTP {status} {content[:200].decode(errors='replace')!r}{hint}", retry=retry)
    response._content = content
    return response


def _what_broke(failure: BaseException, phase: str, seconds: float) -> str:
    if isinstance(failure, DeadlineExceeded):
        return f"no answer within the {seconds:.3g} s deadline ({phase})"
    return f"the connection broke while {phase}: {describe_error(failure)}"


# The severity as the colour bar beside a Slack message (and the status page's colours).
SEVERITY_COLOURS = {"critical": "#cf222e", "warning": "#b58100", "info": "#0969da", "resolved": "#1a7f37"}
_SCANNED = ("service", "new", "since", "open since", "failing from", "cause", "owner", "runbook")


def blocks(message: dict[str, Any]) -> dict[str, Any]:
    """A Slack message in Block Kit (https://api.slack.com/block-kit): the title as a header, the
    fields people scan (service, since, cause, owner, runbook) side by side, the last error, the
    command that reproduces it, and buttons to the runbook and the run when there are any; the
    severity as the colour bar of the attachment that holds them. ``text`` stays the whole message
    in plain words: Slack shows it in notifications and where blocks cannot be shown."""
    known = dict(facts(message))
    fields = [
        {
            "type": "mrkdwn",
            "text": f"*{name.capitalize()}*\n" + (f"<{value}|{value[:60]}>" if name == "runbook" else value)[:1900],
        }
        for name, value in known.items()
        if name in _SCANNED
    ]
    body: list[dict[str, Any]] = [{"type": "section", "fields": fields[:10]}] if fields else []
    if known.get("last error"):
        body.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Last error*\n```{known['last error'][:2800]}```"}}
        )
    if known.get("reproduce"):
        body.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Reproduce: `{known['reproduce'][:2900]}`"}]}
        )
    buttons = [
        {"type": "button", "text": {"type": "plain_text", "text": label}, "url": known[name]}
        for name, label in (("runbook", "Runbook"), ("run", "Run"))
        if known.get(name)
    ]
    if buttons:
        body.append({"type": "actions", "elements": buttons})
    colour = SEVERITY_COLOURS["resolved" if message["kind"] == "resolved" else message["severity"]]
    return {
        "text": text(message),
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": title(message)[:150]}}],
        "attachments": [{"color": colour, "blocks": body}] if body else [],
    }


def slack(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, attempt: Attempt) -> str:
    assert channel.url_secret
    _request("POST", secret(channel.url_secret), attempt, json=blocks(message))
    return ref


def webhook(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, attempt: Attempt) -> str:
    """A JSON POST carrying ``Idempotency-Key``, the same for every copy of one message, so a
    receiver that honours it (``idempotent = true``) keeps one."""
    assert channel.url_secret
    headers = {"Idempotency-Key": attempt.token}
    if channel.token_secret:
        headers["Authorization"] = f"Bearer {secret(channel.token_secret)}"
    _request(
        "POST",
        secret(channel.url_secret),
        attempt,
        headers=headers,
        json={**message, "title": title(message), "text": text(message), "idempotency_key": attempt.token},
    )
    return ref


def _marker(attempt: Attempt) -> str:
    return f"<!-- slurpy-monitor message {attempt.token} -->"


def github(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, attempt: Attempt) -> str:
    """One issue per incident (Upptime-style): opened creates it, reminders comment on it, the
    resolution comments and closes it. Each issue and comment carries a hidden marker of its
    message; before creating one the channel looks for the marker, so a message sent again
    (after an unconfirmed attempt, or by a job that took over a dead job's claim) is found,
    not doubled. Closing is idempotent by itself."""
    assert channel.token_secret and channel.repo
    headers = {
        "Authorization": f"Bearer {secret(channel.token_secret)}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    base = f"{channel.api_url.rstrip('/')}/repos/{channel.repo}/issues"
    marker = _marker(attempt)
    body = f"{text(message)}\n\n{marker}"
    if message["kind"] == "opened":
        # The newest 100 issues with the channel's labels: an incident's issue is among them
        # while its messages are still being sent.
        found = _json(
            _request(
                "GET",
                base,
                attempt,
                need_body=True,
                headers=headers,
                params={
                    "labels": ",".join(channel.labels),
                    "state": "all",
                    "sort": "created",
                    "direction": "desc",
                    "per_page": 100,
                },
            )
        )
        for issue in found if isinstance(found, list) else []:
            if isinstance(issue, dict) and marker in str(issue.get("body") or ""):
                return str(issue.get("number"))
        created = _json(
            _request(
                "POST",
                base,
                attempt,
                need_body=True,
                headers=headers,
                json={"title": title(message), "body": body, "labels": channel.labels},
            ),
            unconfirmed=True,
        )
        if not isinstance(created, dict) or "number" not in created:
            raise DeliveryError(
                f"unconfirmed: the issue was created but the answer named no number: {created!r:.200}", unconfirmed=True
            )
        return str(created["number"])
    if not ref:
        raise DeliveryError("no issue to comment on: its opened message was never delivered", retry=False)
    comments = _json(
        _request("GET", f"{base}/{ref}/comments", attempt, need_body=True, headers=headers, params={"per_page": 100})
    )
    if not any(isinstance(c, dict) and marker in str(c.get("body") or "") for c in comments or []):
        _request("POST", f"{base}/{ref}/comments", attempt, headers=headers, json={"body": body})
    if message["kind"] == "resolved":
        _request(
            "PATCH", f"{base}/{ref}", attempt, headers=headers, json={"state": "closed", "state_reason": "completed"}
        )
    return ref


def _json(response: httpx.Response, unconfirmed: bool = False) -> Any:
    try:
        return response.json()
    except ValueError:
        raise DeliveryError(f"the answer is not JSON: {response.text[:200]!r}", unconfirmed=unconfirmed) from None


class _SMTP(smtplib.SMTP):
    """smtplib with the attempt's :class:`AttemptDeadline` on its connection, and the phase it is in: the
    server takes a message only at the end of DATA, so only a failure after the final ``.`` is
    unconfirmed."""

    def __init__(self, deadline: AttemptDeadline, seconds: float, host: str):
        super().__init__(timeout=seconds)
        self.deadline = deadline
        self._host = host  # what STARTTLS checks the certificate against (smtplib sets it only when it connects itself)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        self.deadline.watch(sock)
        self.deadline.phase = SENDING
        return sock

    def send(self, s: Any) -> None:
        super().send(s)
        data = s if isinstance(s, bytes) else str(s).encode()
        if data.endswith(b"\r\n.\r\n"):
            self.deadline.phase = HEADERS


def email(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, attempt: Attempt) -> str:
    """At most once: SMTP has no way to ask whether a message arrived. The ``Message-ID`` is the
    same for every copy of one message, so mail clients that fold duplicates do."""
    assert channel.host and channel.sender
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = title(message), channel.sender, ", ".join(channel.to)
    mail["Message-ID"] = make_msgid(idstring=attempt.token, domain="slurpy-monitor")
    mail.set_content(text(message))
    seconds = attempt.left()
    if seconds <= 0:
        raise OutOfTime()
    deadline = AttemptDeadline(seconds)
    try:
        with _SMTP(deadline, seconds, channel.host) as smtp:
            smtp.connect(channel.host, channel.port)
            smtp.ehlo()
            if channel.starttls:
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"{channel.host}:{channel.port} does not offer STARTTLS: refusing to send "
                        "credentials and alerts in clear (set starttls = false only for a local relay)",
                        retry=False,
                    )
                smtp.starttls(context=ssl.create_default_context(cafile=channel.ca_file))
                smtp.ehlo()
            if channel.username_secret and channel.password_secret:
                smtp.login(secret(channel.username_secret), secret(channel.password_secret))
            smtp.send_message(mail)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"SMTP login refused ({exc.smtp_code}): check the user name and password secrets", retry=False
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {exc.smtp_code} {exc.smtp_error!r}", retry=400 <= exc.smtp_code < 500) from None
    except (OSError, smtplib.SMTPException) as exc:
        phase = deadline.expired_in or deadline.phase
        broke = _what_broke(deadline.failure(exc), phase, seconds)
        if phase in REQUEST_WRITTEN:
            raise DeliveryError(
                f"unconfirmed: the message was sent and {broke}: the server may have it", unconfirmed=True
            ) from None
        raise DeliveryError(f"not delivered: SMTP {channel.host}:{channel.port}: {broke}") from None
    finally:
        deadline.close()
    return ref


def bounded(key: str, limit: int) -> str:
    """The incident key as an on-call tool's deduplication key: itself when it fits the tool's
    limit, else cut with a digest of the whole appended (still one key per incident)."""
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: limit - len(digest) - 1]}#{digest}"


def _details(message: dict[str, Any]) -> dict[str, str]:
    """The facts an on-call person scans, as strings (Opsgenie's details take nothing else)."""
    facts = {
        "target": message["target"],
        "check": message["check_id"],
        "service": message.get("service") or "",
        "severity": message["severity"],
        "since": message["since"],
        "failed runs": str(message.get("failed_runs") or ""),
        "last error": message.get("last_error") or "",
        "checked": message.get("url") or "",
        "run": message.get("run_url") or "",
        "runbook": message.get("runbook") or "",
        "owner": message.get("owner") or "",
        "reproduce": message.get("reproduce") or "",
    }
    return {name: value for name, value in facts.items() if value}


def pagerduty(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, attempt: Attempt) -> str:
    """PagerDuty Events API v2: a trigger when the incident opens (and on reminders, which PagerDuty
    folds into the open alert by its dedup key), a resolve when it passes again. The dedup key is
    the incident key, so one incident is one PagerDuty alert."""
    assert channel.token_secret
    key = bounded(message["incident"], 255)
    event: dict[str, Any] = {"routing_key": secret(channel.token_secret), "dedup_key": key}
    if message["kind"] == "resolved":
        event["event_action"] = "resolve"
    else:
        source = (
            urlsplit(message.get("url") or "").hostname or f"{message['target']}:{message.get('service') or 'monitor'}"
        )
        event |= {
            "event_action": "trigger",
            "client": "Slurpy monitor",
            "payload": {
                "summary": title(message)[:1024],
                "source": source,
                "severity": message["severity"],
                "timestamp": message["since"],
                "component": message.get("service") or message["check_id"],
                "group": message["target"],
                "class": message["check_id"].split(":", 1)[0],
                "custom_details": _details(message),
            },
        }
        links = [{"href": message[k], "text": k} for k in ("runbook", "run_url") if message.get(k)]
        if links:
            event["links"] = links
        if message.get("run_url"):
            event["client_url"] = message["run_url"]
    _request("POST", f"{channel.api_url.rstrip('/')}/v2/enqueue", attempt, json=event)
    return key


OPSGENIE_PRIORITY = {"critical": "P1", "warning": "P3", "info": "P5"}


def opsgenie(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, attempt: Attempt) -> str:
    """Opsgenie's Alert API: create with the incident key as ``alias`` (a reminder creates it again,
    which Opsgenie counts on the open alert), close by that alias when it passes again. Opsgenie
    takes both as requests to process later (202): a refusal after that shows in Opsgenie's own log."""
    assert channel.token_secret
    alias = bounded(message["incident"], 512)
    headers = {"Authorization": f"GenieKey {secret(channel.token_secret)}"}
    base = f"{channel.api_url.rstrip('/')}/v2/alerts"
    if message["kind"] == "resolved":
        _request(
            "POST",
            f"{base}/{quote(alias, safe='')}/close",
            attempt,
            headers=headers,
            params={"identifierType": "alias"},
            json={"source": "slurpy-monitor", "note": text(message)[:25000]},
        )
    else:
        _request(
            "POST",
            base,
            attempt,
            headers=headers,
            json={
                "message": title(message)[:130],
                "alias": alias,
                "description": text(message)[:15000],
                "source": "slurpy-monitor",
                "entity": (message.get("service") or message["target"])[:512],
                "priority": OPSGENIE_PRIORITY[message["severity"]],
                "tags": [t[:50] for t in ("slurpy-monitor", message["target"], message["severity"])],
                "details": _details(message),
            },
        )
    return alias


SENDERS = {
    "slack": slack,
    "webhook": webhook,
    "github": github,
    "email": email,
    "pagerduty": pagerduty,
    "opsgenie": opsgenie,
}


def ping(url: str, body: str, attempt: Attempt) -> None:
    """A dead-man's-switch check-in (healthchecks.io, Sentry cron monitors' HTTP check-ins): any
    2xx counts."""
    _request("POST", url, attempt, content=body.encode(), headers={"Content-Type": "text/plain"})
