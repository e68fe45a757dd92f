"""Which render runs next: fair between users, in order within a session.

Rules (PROTOCOL.md keeps the first; issue 12 asks for the others):

- one active render per session: a session's renders run one after another, in the order they came;
- a user has at most ``per_user`` renders running at once, so with two or more workers there is always
  a slot that one user's long job (or many jobs) cannot take;
- among users with a render waiting, the one served longest ago goes first (round-robin), so a user who
  queued fifty renders does not make a user who queued one wait behind all fifty.
"""
from __future__ import annotations

from collections import Counter, OrderedDict, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class QueuedRender:
    key: str
    user_id: str
    session_id: str


class FairQueue:
    """Waiting renders, and the choice of the next one to start. Not thread-safe: use it from one loop."""

    def __init__(self, per_user: int):
        self.per_user = max(1, per_user)
        self._waiting: OrderedDict[str, deque[QueuedRender]] = OrderedDict()  # user → FIFO; order = rotation
        self._running_sessions: set[str] = set()
        self._running_users: Counter[str] = Counter()

    def __len__(self) -> int:
        return sum(len(jobs) for jobs in self._waiting.values())

    def add(self, job: QueuedRender) -> None:
        self._waiting.setdefault(job.user_id, deque()).append(job)

    def remove(self, key: str) -> bool:
        """Drop a waiting render (cancelled); False when it is not waiting."""
        for user, jobs in self._waiting.items():
            for job in jobs:
                if job.key == key:
                    jobs.remove(job)
                    if not jobs:
                        del self._waiting[user]
                    return True
        return False

    def take(self) -> QueuedRender | None:
        """The next render to start (now counted as running), or None when none may start."""
        for user, jobs in self._waiting.items():
            if self._running_users[user] >= self.per_user:
                continue
            job = next((j for j in jobs if j.session_id not in self._running_sessions), None)
            if job is None:
                continue
            jobs.remove(job)
            del self._waiting[user]
            if jobs:
                self._waiting[user] = jobs  # to the back of the rotation
            self._running_sessions.add(job.session_id)
            self._running_users[user] += 1
            return job
        return None

    def finished(self, job: QueuedRender) -> None:
        self._running_sessions.discard(job.session_id)
        self._running_users[job.user_id] -= 1
        if self._running_users[job.user_id] <= 0:
            del self._running_users[job.user_id]
