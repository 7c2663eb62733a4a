"""The channels an alert travels by, each a function ``(channel, message, ref, secret) -> ref``
that raises :class:`DeliveryError` when the receiver did not take it. ``ref`` is what an earlier
message of the same incident left behind (the GitHub issue's number); ``secret`` reads a
logical secret name from the environment the profile names.

PagerDuty (Events API v2) and Opsgenie (Alert API) are told of an incident by its key, so
their own deduplication, escalation and acknowledgement work as with any other source.

These talk to alert receivers, not to the target: they use httpx and smtplib directly, with the
profile's delivery timeout, and never :mod:`monitor.probe` (whose settings are the target's)."""
from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote, urlsplit

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
    what = message["check_id"]
    where = f"{message['target']}: {what}"
    kind = message["kind"]
    if kind == "resolved":
        return f"[RESOLVED] {where} passes again"
    state = "still failing" if kind == "reminder" else "failing"
    return f"[{message['severity'].upper()}] {where} {state}"


def facts(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, value) of what a person scans first, in order, only those known: the run link only
    when there is one."""
    runs = message.get("failed_runs")  # none for a burn-rate alert: it is about time, not a streak of runs
    if message["kind"] == "resolved":
        span = f"{message['since']} to {message['resolved_at']}" + (
            f" ({runs} failed runs, {message['flaky_runs']} flaky passes while recovering)" if runs else "")
    else:
        span = message["since"] + (f" ({runs} failed runs in a row)" if runs else "")
    found = [("service", message.get("service") or ""), ("failing from" if message["kind"] == "resolved" else "since", span),
             ("cause", message.get("cause") or ""),
             ("last error", message.get("last_error") or "" if message["kind"] != "resolved" else ""),
             ("owner", message.get("owner") or ""), ("runbook", message.get("runbook") or ""),
             ("reproduce", message.get("reproduce") or ""), ("checked", message.get("url") or ""),
             ("run", message.get("run_url") or "")]
    return [(name, value) for name, value in found if value]


def text(message: dict[str, Any]) -> str:
    return "\n".join([title(message), *(f"{name}: {value}" for name, value in facts(message))])


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


# The severity as the colour bar beside a Slack message (and the status page's colours).
SEVERITY_COLOURS = {"critical": "#cf222e", "warning": "#b58100", "info": "#0969da", "resolved": "#1a7f37"}
_SCANNED = ("service", "since", "failing from", "cause", "owner", "runbook")


def blocks(message: dict[str, Any]) -> dict[str, Any]:
    """A Slack message in Block Kit (https://api.slack.com/block-kit): the title as a header, the
    fields people scan (service, since, cause, owner, runbook) side by side, the last error, the
    command that reproduces it, and buttons to the runbook and the run when there are any; the
    severity as the colour bar of the attachment that holds them. ``text`` stays the whole message
    in plain words: Slack shows it in notifications and where blocks cannot be shown."""
    known = dict(facts(message))
    fields = [{"type": "mrkdwn", "text": f"*{name.capitalize()}*\n" + (f"<{value}|{value[:60]}>" if name == "runbook" else value)[:1900]}
              for name, value in known.items() if name in _SCANNED]
    body: list[dict[str, Any]] = [{"type": "section", "fields": fields[:10]}] if fields else []
    if known.get("last error"):
        body.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Last error*\n```{known['last error'][:2800]}```"}})
    if known.get("reproduce"):
        body.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Reproduce: `{known['reproduce'][:2900]}`"}]})
    buttons = [{"type": "button", "text": {"type": "plain_text", "text": label}, "url": known[name]}
               for name, label in (("runbook", "Runbook"), ("run", "Run")) if known.get(name)]
    if buttons:
        body.append({"type": "actions", "elements": buttons})
    colour = SEVERITY_COLOURS["resolved" if message["kind"] == "resolved" else message["severity"]]
    return {"text": text(message), "blocks": [{"type": "header", "text": {"type": "plain_text", "text": title(message)[:150]}}],
            "attachments": [{"color": colour, "blocks": body}] if body else []}


def slack(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, timeout_s: float) -> str:
    assert channel.url_secret
    _post("POST", secret(channel.url_secret), timeout_s, json=blocks(message))
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


def bounded(key: str, limit: int) -> str:
    """The incident key as an on-call tool's deduplication key: itself when it fits the tool's
    limit, else cut with a digest of the whole appended (still one key per incident)."""
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[:limit - len(digest) - 1]}#{digest}"


def _details(message: dict[str, Any]) -> dict[str, str]:
    """The facts an on-call person scans, as strings (Opsgenie's details take nothing else)."""
    facts = {"target": message["target"], "check": message["check_id"], "service": message.get("service") or "",
             "severity": message["severity"], "since": message["since"], "failed runs": str(message.get("failed_runs") or ""),
             "last error": message.get("last_error") or "", "checked": message.get("url") or "",
             "run": message.get("run_url") or "", "runbook": message.get("runbook") or "", "owner": message.get("owner") or "",
             "reproduce": message.get("reproduce") or ""}
    return {name: value for name, value in facts.items() if value}


def pagerduty(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, timeout_s: float) -> str:
    """PagerDuty Events API v2: a trigger when the incident opens (and on reminders, which PagerDuty
    folds into the open alert by its dedup key), a resolve when it passes again. The dedup key is
    the incident key, so one incident is one PagerDuty alert."""
    assert channel.token_secret
    key = bounded(message["incident"], 255)
    event: dict[str, Any] = {"routing_key": secret(channel.token_secret), "dedup_key": key}
    if message["kind"] == "resolved":
        event["event_action"] = "resolve"
    else:
        source = urlsplit(message.get("url") or "").hostname or f"{message['target']}:{message.get('service') or 'monitor'}"
        event |= {"event_action": "trigger", "client": "Slurpy monitor",
                  "payload": {"summary": title(message)[:1024], "source": source, "severity": message["severity"],
                              "timestamp": message["since"], "component": message.get("service") or message["check_id"],
                              "group": message["target"], "class": message["check_id"].split(":", 1)[0],
                              "custom_details": _details(message)}}
        links = [{"href": message[k], "text": k} for k in ("runbook", "run_url") if message.get(k)]
        if links:
            event["links"] = links
        if message.get("run_url"):
            event["client_url"] = message["run_url"]
    _post("POST", f"{channel.api_url.rstrip('/')}/v2/enqueue", timeout_s, json=event)
    return key


OPSGENIE_PRIORITY = {"critical": "P1", "warning": "P3", "info": "P5"}


def opsgenie(channel: AlertChannel, message: dict[str, Any], ref: str, secret: Secret, timeout_s: float) -> str:
    """Opsgenie's Alert API: create with the incident key as ``alias`` (a reminder creates it again,
    which Opsgenie counts on the open alert), close by that alias when it passes again. Opsgenie
    takes both as requests to process later (202): a refusal after that shows in Opsgenie's own log."""
    assert channel.token_secret
    alias = bounded(message["incident"], 512)
    headers = {"Authorization": f"GenieKey {secret(channel.token_secret)}"}
    base = f"{channel.api_url.rstrip('/')}/v2/alerts"
    if message["kind"] == "resolved":
        _post("POST", f"{base}/{quote(alias, safe='')}/close", timeout_s, headers=headers, params={"identifierType": "alias"},
              json={"source": "slurpy-monitor", "note": text(message)[:25000]})
    else:
        _post("POST", base, timeout_s, headers=headers,
              json={"message": title(message)[:130], "alias": alias, "description": text(message)[:15000],
                    "source": "slurpy-monitor", "entity": (message.get("service") or message["target"])[:512],
                    "priority": OPSGENIE_PRIORITY[message["severity"]],
                    "tags": [t[:50] for t in ("slurpy-monitor", message["target"], message["severity"])],
                    "details": _details(message)})
    return alias


SENDERS = {"slack": slack, "webhook": webhook, "github": github, "email": email, "pagerduty": pagerduty,
           "opsgenie": opsgenie}


def ping(url: str, body: str, timeout_s: float) -> None:
    """A dead-man's-switch check-in (healthchecks.io, Sentry cron monitors' HTTP check-ins): any
    2xx counts."""
    _post("POST", url, timeout_s, content=body.encode(), headers={"Content-Type": "text/plain"})
