"""The Slurpy synthetic monitor: checks a live deployment from the outside and says what it found.

Rooms by job (``docs/development.md`` has the map; each package's docstring says what it may
import, and the import contracts in ``pyproject.toml`` hold it to that):

* what a target is: :mod:`.profile` (``targets/<name>.toml``), :mod:`.layout` (the checkout);
* asking the target: :mod:`.probe` (the only HTTP/TLS code), :mod:`.browser` (Chromium),
  :mod:`.load` (Locust);
* judging the answers: :mod:`.analysers` (pure), :mod:`.checks` (probe + analyser -> a
  :class:`~.results.CheckResult`, the kinds and the catalogue);
* keeping and telling: :mod:`.results`, :mod:`.pipeline` (records to sinks), :mod:`.history`,
  :mod:`.slo`, :mod:`.report`, :mod:`.alerts`, :mod:`.redact`, :mod:`.cost`;
* entry points: :mod:`.plugins` (pytest's side, one ``pytest11`` entry point), :mod:`.options`
  (every run option, once), :mod:`.commands` (the command lines), :mod:`.draft` (``init``).

Never imported by it: the sandbox (``slurpy_sandbox``, a test double in its own distribution), the
suites (``tests/``), the project's own tests (``selftests/``, ``testkit``) and ``bench/``.
"""
