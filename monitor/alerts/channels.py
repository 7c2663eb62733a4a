"""The channels an alert travels by, each a function ``(channel, message, ref, secret) -> ref``
that raises :class:`DeliveryError` when the receiver did not take it. ``ref`` is what an earlier
message of the same incident left behind (the GitHub issue's number); ``secret`` reads a
logical secret name from the environment the profile names.

These talk to alert receivers, not to the target: they use httpx and smtplib directly, with the
profile's delivery timeout, and never :mod:`monitor.probe` (whose settings are the target's)."""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import httpx

from monitor.profile import AlertChannel

USER_AGENT = "slurpy-monitor/0.1 (+alerts)"

Secret = Callable[[str], str]


class DeliveryError(Exception):
    """The receiver did not take the message. ``retry``: worth another try in this run (a network
    error, a timeout, a 5xx or a 429); bad credentials or a wrong address are not, until the next run."""

    def __init__(self, message: str, retry: bool = True):
        super().__init__(message)
        self.retry = retry


def title(message: dict[str, Any]) -> str:
    """One line, the root cause first: ``[CRITICAL] production: backend unreachable: connection
    refused; also failing: latency, tls``; ``… backend worse: …``; ``[RESOLVED] … backend recovered
    (was: …)``."""
    where = message["target"]
    what = message.get("cause") or f"{message['check_id']} failing"
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


def text(message: dict[str, Any]) -> str:
    lines = [title(message)]
    runs = message["failed_runs"]  # none for a burn-rate alert: it is about time, not a streak of runs
    if message["kind"] == "resolved":
        lines.append(f"failing from {message['since']} to {message['resolved_at']}"
                     + (f" ({runs} failed runs, {message['flaky_runs']} flaky passes while recovering)" if runs else ""))
    elif message["kind"] == "worse":
        lines.append(f"open since {message['since']}: {message.get('cause') or message['check_id']}")
        lines.append(f"new: {message['update_detail']}")
    else:
        lines.append(f"since {message['since']}" + (f" ({runs} failed runs)" if runs else ""))
        if message.get("last_error"):
            lines.append(f"last error: {message['last_error']}")
    if message.get("url"):
        lines.append(f"checked: {message['url']}")
    if message.get("run_url"):
        lines.append(f"run: {message['run_url']}")
    return "\n".join(lines)


def _post(method: str, url: str, timeout_s: float, **kwargs: Any) -> httpx.Response:
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    try:
        response = httpx.request(method, url, headers=headers, timeout=timeout_s, **kwargs)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"timed out after {timeout_s:g} s ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    if response.status_code >= 400:
        retry = response.status_code >= 500 or response.status_code == 429
        hint = " (check the token or URL in the secret)" if response.status_code in (401, 403, 404) else ""
        raise DeliveryError(f"HTTP {response.status_code} {response.text[:200]!r}{hint}", retry=retry)
    return response


def slack(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, timeout_s: float) -> str:
    assert channel.url_secret
    _post("POST", secret(channel.url_secret), timeout_s, json={"text": text(message)})
    return ref


def webhook(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, timeout_s: float) -> str:
    assert channel.url_secret
    headers = {"Authorization": f"Bearer {secret(channel.token_secret)}"} if channel.token_secret else {}
    _post("POST", secret(channel.url_secret), timeout_s, json={**message, "title": title(message), "text": text(message)},
          headers=headers)
    return ref


def github(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, timeout_s: float) -> str:
    """One issue per incident (Upptime-style): opened creates it, reminders comment on it, the
    resolution comments and closes it."""
    assert channel.token_secret and channel.repo
    headers = {"Authorization": f"Bearer {secret(channel.token_secret)}", "Accept": "application/vnd.github+json",
               "X-GitHub-Api-Version": "2022-11-28"}
    base = f"{channel.api_url.rstrip('/')}/repos/{channel.repo}/issues"
    if message["kind"] == "opened":
        answer = _post("POST", base, timeout_s, headers=headers,
                       json={"title": title(message), "body": text(message), "labels": channel.labels})
        try:
            return str(answer.json()["number"])
        except (ValueError, KeyError, TypeError):
            raise DeliveryError(f"the issue was created but the answer named no number: {answer.text[:200]!r}",
                                retry=False) from None
    if not ref:
        raise DeliveryError("no issue to comment on: its opened message was never delivered", retry=False)
    _post("POST", f"{base}/{ref}/comments", timeout_s, headers=headers, json={"body": text(message)})
    if message["kind"] == "resolved":
        _post("PATCH", f"{base}/{ref}", timeout_s, headers=headers, json={"state": "closed", "state_reason": "completed"})
    return ref


def email(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, timeout_s: float) -> str:
    assert channel.host and channel.sender
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = title(message), channel.sender, ", ".join(channel.to)
    mail.set_content(text(message))
    try:
        with smtplib.SMTP(channel.host, channel.port, timeout=timeout_s) as smtp:
            smtp.ehlo()
            if channel.starttls:
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(f"{channel.host}:{channel.port} does not offer STARTTLS: refusing to send "
                                        "credentials and alerts in clear (set starttls = false only for a local relay)",
                                        retry=False)
                smtp.starttls(context=ssl.create_default_context(cafile=channel.ca_file))
                smtp.ehlo()
            if channel.username_secret and channel.password_secret:
                smtp.login(secret(channel.username_secret), secret(channel.password_secret))
            smtp.send_message(mail)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP login refused ({exc.smtp_code}): check the user name and password secrets",
                            retry=False) from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {exc.smtp_code} {exc.smtp_error!r}",
                            retry=400 <= exc.smtp_code < 500) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP {channel.host}:{channel.port}: {type(exc).__name__}: {exc}") from None
    return ref


SENDERS = {"slack": slack, "webhook": webhook, "github": github, "email": email}


def ping(url: str, body: str, timeout_s: float) -> None:
    """A dead-man's-switch check-in (healthchecks.io, Sentry cron monitors' HTTP check-ins): any
    2xx counts."""
    _post("POST", url, timeout_s, content=body.encode(), headers={"Content-Type": "text/plain"})
