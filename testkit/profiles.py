"""Profiles the self-tests and the benchmarks write: the one a rehearsal commits as
``targets/production.toml`` (monitor.yml runs against production: the sandbox's own profile, with
alert channels pointed at local receivers under the secret names docs/alerting.md tells a user to
create), and the production example with a short run deadline."""

from __future__ import annotations

from pathlib import Path

from monitor.layout import TARGETS

# The variable names docs/alerting.md's [alerts] example uses: the secrets a user stores on GitHub.
ALERT_SECRETS = {
    "slack_webhook": "SLURPY_PROD_SLACK_WEBHOOK",
    "ops_webhook": "SLURPY_PROD_OPS_WEBHOOK",
    "smtp_user": "SLURPY_PROD_SMTP_USER",
    "smtp_password": "SLURPY_PROD_SMTP_PASSWORD",
}

ALERTS = """
[alerts]
delivery_backoff_s = 0
delivery_attempts = 2

[[alerts.channels]]
name = "ops-chat"
kind = "slack"
url_secret = "slack_webhook"

[[alerts.channels]]
name = "ops-hook"
kind = "webhook"
url_secret = "ops_webhook"

[[alerts.channels]]
name = "oncall-mail"
kind = "email"
host = "127.0.0.1"
port = {smtp_port}
username_secret = "smtp_user"
password_secret = "smtp_password"
sender = "monitor@sandbox.test"
to = ["oncall@sandbox.test"]
ca_file = "{smtp_ca}"
"""


def production_profile(smtp_port: int | None = None, smtp_ca: Path | None = None) -> str:
    """targets/sandbox.toml as ``production``; with alert channels when an SMTP receiver is given."""
    text = (TARGETS / "sandbox.toml").read_text()
    text = text.replace('description = "', 'description = "Rehearsal: the sandbox as production. ', 1)
    if smtp_port is None:
        return text
    names = "".join(f'{logical} = "{variable}"\n' for logical, variable in ALERT_SECRETS.items())
    text = text.replace("[secrets]\n", "[secrets]\n" + names, 1)
    return text + ALERTS.format(smtp_port=smtp_port, smtp_ca=smtp_ca)


def with_deadline(seconds: float) -> str:
    """The production example with every suite's run deadline set to ``seconds``."""
    shipped = "[run_deadline_s]\nsmoke = 180\nsecurity = 600\njourneys = 600\n"
    profile = (TARGETS / "production.example.toml").read_text()
    if shipped not in profile:
        raise ValueError("targets/production.example.toml's [run_deadline_s] changed: update with_deadline")
    return profile.replace(
        shipped, f"[run_deadline_s]\nsmoke = {seconds}\nsecurity = {seconds}\njourneys = {seconds}\n"
    )
