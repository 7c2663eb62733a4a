"""Secrets by name: a profile names the environment variable that holds each one; the value is
read when a check needs it and never written anywhere. Every value a profile names is registered
for redaction (:mod:`monitor.redact`) as soon as a :class:`Secrets` is made for it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from monitor import redact
from monitor.profile.target import Profile


class MissingSecret(LookupError):
    """A secret the run needs is not set. ``fatal``: in CI a missing secret is a broken set-up
    (fail); locally it only means this check cannot run here (skip)."""

    def __init__(self, message: str, fatal: bool):
        super().__init__(message)
        self.fatal = fatal


BUNDLE = "SLURPY_SECRETS"


def bundled(env: Mapping[str, str]) -> dict[str, str]:
    """The secrets handed over as one JSON object in ``$SLURPY_SECRETS`` (a workflow passes
    ``${{ toJSON(secrets) }}``), by upper-cased name: GitHub spells its own token ``github_token``
    and every other secret in capitals, and secret names are not case-sensitive there. Anything
    that is not a JSON object of strings counts as nothing."""
    try:
        data = json.loads(env.get(BUNDLE) or "{}")
    except ValueError:
        return {}
    return {str(k).upper(): v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


class Secrets:
    """Values for a profile's ``[secrets]``: from the environment variable the profile names,
    else from the same name in ``$SLURPY_SECRETS``, or from ``provided`` (what a sandbox made up
    for itself, under the same variable names). Only the names the profile lists are ever read."""

    def __init__(
        self, profile: Profile, env: Mapping[str, str] = os.environ, provided: Mapping[str, str] | None = None
    ):
        self.profile, self.env, self.provided = profile, env, dict(provided or {})
        self.bundle = bundled(env)
        # Every value the profile names is kept out of everything the monitor writes from now on,
        # read or not: a field that gains a secret (a header, a channel) needs nothing more.
        redact.register(*(value for name in profile.secrets if (value := self._value(name))))

    def _value(self, logical_name: str) -> str | None:
        env_name = self.profile.secrets[logical_name]
        return self.env.get(env_name) or self.bundle.get(env_name.upper()) or self.provided.get(env_name)

    def get(self, logical_name: str) -> str:
        env_name = self.profile.secrets.get(logical_name)
        if env_name is None:
            raise MissingSecret(
                f"targets/{self.profile.name}.toml names no environment variable for secret "
                f"{logical_name!r} (add it under [secrets])",
                fatal=True,
            )
        value = self._value(logical_name)
        if not value:
            raise MissingSecret(
                f"secret {logical_name!r} missing: set environment variable {env_name}", fatal=bool(self.env.get("CI"))
            )
        redact.register(value)
        return value


def request_headers(profile: Profile, secrets: Secrets) -> dict[str, str]:
    """The profile's ``[request] headers`` with their values read from the secrets they name
    (and so registered for scrubbing). A missing one raises :class:`MissingSecret`."""
    return {header: secrets.get(name) for header, name in profile.request.secret_names.items()}
