"""What a child process keeps of this shell's environment when a test gives it a minimal one (no
secrets, no target, no PATH of its own): only where this shell keeps its bytecode. ``./run tests``
keeps it in .venv/pycache (PYTHONPYCACHEPREFIX); without that a child compiles every import again,
about a CPU second, and writes a second copy of the bytecode into the source tree."""

from __future__ import annotations

import os

BYTECODE_SETTINGS = ("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")


def bytecode_env() -> dict[str, str]:
    return {name: os.environ[name] for name in BYTECODE_SETTINGS if name in os.environ}
