"""What alerting costs at the end of every run on a big history: the same 30 days of smoke runs
every 5 minutes as bench/slo_status.py (three services, 12 checks a run, 2 % of runs dropped, a
few outages), read as a job's alert step reads it: every incident of the lookback (7 days) grouped
per service with its cause and updates (dispatch.derive), after the burn-rate alerts worked out as
of the end of every run of the lookback and debounced (dispatch.burn_incidents). Median of 3."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from slo_status import NOW, history  # noqa: E402

from monitor.alerts import dispatch  # noqa: E402
from monitor.alerts.state import AlertState  # noqa: E402
from monitor.history.store import HistoryStore  # noqa: E402
from monitor.profile import load_profile  # noqa: E402
from testkit.scripted_history import history_lines  # noqa: E402


def main() -> None:
    profile = load_profile("production.example").model_copy(update={"name": "production"})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite"
        with HistoryStore(path) as store:
            store.import_lines(history_lines(history()), "bench")
            print(f"history: {store.count():,} records, {len(store.runs()):,} runs")
        burn_ms, derive_ms, found = [], [], []
        with AlertState(path) as state:
            for _ in range(3):
                began = time.perf_counter()
                burn = dispatch.burn_incidents(profile, state, NOW)
                middle = time.perf_counter()
                found = dispatch.derive(profile.alerts, state, profile.name, NOW, (), burn)
                burn_ms.append((middle - began) * 1000)
                derive_ms.append((time.perf_counter() - middle) * 1000)
        outages = [i for i in found if not i.check_id.startswith("missed-runs:")]
        print(
            f"burn-rate alerts over the lookback: {statistics.median(burn_ms):.0f} ms; incidents per service: "
            f"{statistics.median(derive_ms):.0f} ms; {len(outages)} outages, {sum(len(i.updates) for i in outages)} "
            f"updates, {len(burn)} burn-rate incidents folded in (median of 3)"
        )


if __name__ == "__main__":
    main()
