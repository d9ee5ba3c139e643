"""How often the bench's transactions wait on a lock (PostgreSQL), sampled from a side thread.

While a run is measured, a thread looks at pg_stat_activity every few milliseconds, on its own
connection, at the run's own connections (their application name, bench/database.py) that are
running a statement. A connection waiting on a lock (wait_event_type 'Lock') is counted with
what it waits for, read from its ungranted lock in pg_locks: a row (tuple) or a table of which
relation, or another transaction's end (transactionid: a row that transaction wrote, whose
table the waiter's tuple lock names), with the statement that waits.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine, text

# A transaction waiting for a row that another one wrote waits on that transaction's end
# (transactionid, no relation) while holding the lock of the row's tuple: its relation names the
# table.
SAMPLE = text(
    """
    SELECT a.wait_event_type = 'Lock' AS waiting, w.locktype,
           coalesce(w.relation, t.relation)::regclass::text,
           left(regexp_replace(a.query, '\\s+', ' ', 'g'), 40)
    FROM pg_stat_activity a
    LEFT JOIN pg_locks w ON w.pid = a.pid AND NOT w.granted
    LEFT JOIN pg_locks t ON t.pid = a.pid AND t.granted AND t.locktype = 'tuple'
    WHERE a.application_name = current_setting('application_name')
      AND a.pid <> pg_backend_pid() AND a.state = 'active'
    """
)
INTERVAL = 0.01


@dataclass
class LockWaits:
    """What the samples saw: how many, how many with a wait, and the waits by what they wait on."""

    samples: int = 0
    busy_samples: int = 0  # at least one of the run's statements running
    waiting_samples: int = 0  # at least one of them waiting on a lock
    running: int = 0  # statements seen running, over all samples
    waits: Counter[str] = field(default_factory=Counter)

    @property
    def share(self) -> float:
        """The share of samples in which a transaction waits on a lock."""
        return self.waiting_samples / self.samples if self.samples else 0.0

    def top(self, count: int = 2) -> str:
        """The most frequent waits, each with its share of the waits."""
        total = sum(self.waits.values())
        return "; ".join(
            f"{what} ({seen / total:.0%})" for what, seen in self.waits.most_common(count)
        )


class LockSampler:
    """Samples lock waits of the run's connections while the ``with`` block runs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.found = LockWaits()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> LockWaits:
        self._thread.start()
        return self.found

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        found = self.found
        with self.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            while not self._stop.wait(INTERVAL):
                rows = connection.execute(SAMPLE).all()
                found.samples += 1
                found.running += len(rows)
                found.busy_samples += bool(rows)
                waiting = [row for row in rows if row.waiting]
                found.waiting_samples += bool(waiting)
                for _waiting, locktype, relation, query in waiting:
                    # No ungranted lock: it was granted between the two views.
                    what = locktype or "a lock granted meanwhile"
                    if relation:
                        what += f" on {relation}"
                    found.waits[f"{what}, in: {query}"] += 1
