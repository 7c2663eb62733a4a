"""What the monitor saw, kept across runs: a SQLite history (:mod:`.store`), its text form for a
git data branch (:mod:`.textlog`), the schedule bookkeeping that turns a missed run into an
unknown stretch rather than uptime (:mod:`.schedule`), and the sinks that write a run into both
(:mod:`.sinks`). Nothing here knows about pytest."""
