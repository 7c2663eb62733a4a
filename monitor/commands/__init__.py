"""The command lines, one module per (sub)command, as Flask's ``cli.py`` and Locust's ``main.py``:

* ``slurpy-monitor`` (:mod:`.monitor`: the parser and the dispatch) and its subcommands
  :mod:`.run`, :mod:`.gate`, :mod:`.watch`, :mod:`.init`, :mod:`.check_profile`, :mod:`.history`,
  :mod:`.uptime`, :mod:`.status_page`, :mod:`.alerts`; what their parsers share: :mod:`.arguments`;
* ``slurpy-load`` (:mod:`.load`) and ``slurpy-sweep`` (:mod:`.sweep`).

A command module holds a command's plumbing (arguments, output, exit codes); the work it asks for
stays in its room (history, slo, alerts, draft, load, ...). Commands may import any room of the
monitor; no room imports a command."""
