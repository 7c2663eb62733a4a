"""What the monitor saw, kept across runs: a SQLite history (:mod:`.store`, the only code that
speaks SQL to it, and :mod:`.alert_store`, the alert state's tables), the one record type its
readers get (:mod:`.observation`), its text form for a git data branch (:mod:`.textlog`), the
schedule bookkeeping that turns a missed run into an unknown stretch rather than uptime
(:mod:`.schedule`), and the sinks that write a run into both (:mod:`.sinks`).

May import: :mod:`monitor.results`, :mod:`monitor.pipeline`. Never the SLO maths, alerts or
reports (they read the history, not the other way round), pytest, the network or a browser."""
