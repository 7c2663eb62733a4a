"""Reading ``targets/<name>.toml``: where profiles live, URL overrides (options and environment), and
every problem of a file said in one readable line."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from monitor import redact
from monitor.layout import TARGETS
from monitor.profile.target import Profile
from monitor.profile.validation import ProfileError, url_credentials_refused

TARGETS_DIR_ENV = "SLURPY_TARGETS_DIR"
TARGET_ENV = "SLURPY_TARGET"
URL_ENV_PREFIX = "SLURPY_URL_"


def _urls_with_credentials(value: Any, where: str = "") -> list[str]:
    """Fields (dotted paths) anywhere in a raw profile whose string holds a URL with credentials."""
    if isinstance(value, str):
        return [where or "(top level)"] if redact.has_url_credentials(value) else []
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _urls_with_credentials(v, f"{where}.{k}" if where else str(k))]
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _urls_with_credentials(v, f"{where}.{i}")]
    return []


def targets_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where profiles live: ``$SLURPY_TARGETS_DIR``, read when asked, else the shipped ``targets/``."""
    return Path(env.get(TARGETS_DIR_ENV) or TARGETS)


def available_targets(directory: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (directory or targets_dir()).glob("*.toml"))


def url_overrides_from_env(env: Mapping[str, str]) -> dict[str, str]:
    return {
        key[len(URL_ENV_PREFIX) :].lower(): value
        for key, value in env.items()
        if key.startswith(URL_ENV_PREFIX) and value
    }


def parse_url_options(options: list[str]) -> dict[str, str]:
    """``["frontend=https://pr-12.example"]`` -> ``{"frontend": "https://pr-12.example"}``."""
    overrides: dict[str, str] = {}
    for option in options:
        service, sep, url = option.partition("=")
        if not sep or not service or not url:
            raise ProfileError(
                [f"--url {redact.text(option)!r}: expected SERVICE=URL, e.g. frontend=https://preview.example.com"]
            )
        if redact.has_url_credentials(url):
            raise ProfileError([url_credentials_refused(f"--url {redact.text(option)}")])
        overrides[service.strip()] = url.strip()
    return overrides


def load_profile(
    name: str, *, directory: Path | None = None, url_overrides: Mapping[str, str] | None = None
) -> Profile:
    directory = directory or targets_dir()
    path = directory / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(available_targets(directory)) or "none"
        raise ProfileError([f"unknown target {name!r}: no {path}. Targets that exist: {known}"])
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProfileError(
            [
                f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}): a profile is "
                "a TOML text file; save it as UTF-8"
            ]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError([f"{path}: not valid TOML: {exc}"]) from None
    except OSError as exc:
        raise ProfileError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    raw.setdefault("name", name)
    problems: list[str] = [url_credentials_refused(f"{path}: {field}") for field in _urls_with_credentials(raw)]
    services: dict[str, Any] = raw["services"] if isinstance(raw.get("services"), dict) else {}
    for service, url in (url_overrides or {}).items():
        if service not in services or not isinstance(services[service], dict):
            problems.append(
                f"{path}: URL override for unknown service {service!r} (profile has: {', '.join(services) or 'none'})"
            )
        elif redact.has_url_credentials(url):
            problems.append(url_credentials_refused(f"URL override for {service} ({redact.text(url)})"))
        else:
            services[service]["base_url"] = url
    if problems:
        raise ProfileError(problems)
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "(top level)"
            problems.append(f"{path}: {field}: {error['msg']}")
        raise ProfileError(problems) from None
    return profile


def resolve_target_name(option: str | None, env: Mapping[str, str] = os.environ) -> str:
    return option or env.get(TARGET_ENV) or "sandbox"
