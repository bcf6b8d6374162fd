"""Sign-in limits: failed attempts per account and per client address, then a growing wait.

After ``FREE[kind]`` failures a key (an account name, a client address) is locked for
``FIRST_WAIT`` seconds, and each further failure doubles the wait (up to ``MAX_WAIT``).
Attempts still being checked count too, so a burst of parallel guesses cannot slip in
before the first failures are recorded. A success clears the account, not the address:
one valid account must not buy an address more guesses at the others.

Kept in memory: the server is one process, and a restart (which an attacker cannot
cause from the page) forgets the counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

FREE = {"name": 5, "addr": 20}
"""Failures allowed before the first wait. An address is often shared (the server's own
computer, an office behind one router, a proxy), so it is allowed more than an account."""
FIRST_WAIT = 30.0
MAX_WAIT = 15 * 60.0
FORGET = 60 * 60.0
"""Failures this old, without a lock in force, are forgotten."""
MAX_KEYS = 10_000
"""Kept keys, at most: guesses at many names cannot fill the memory."""

Key = tuple[str, str]
"""(kind, value): ``("name", "lin")``, ``("addr", "127.0.0.1")``."""


@dataclass
class _Count:
    failures: int = 0
    pending: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0


class Throttle:
    """Counts sign-in attempts by key on a clock (seconds)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._counts: dict[Key, _Count] = {}

    @staticmethod
    def keys(name: str, address: str) -> tuple[Key, Key]:
        """The keys of an attempt: the account name (first) and the client address."""
        return ("name", name), ("addr", address)

    def begin(self, keys: tuple[Key, ...]) -> float:
        """Start an attempt: 0.0 when it may go on (then call ``end``), else seconds to wait."""
        now = self.clock()
        wait = max(self._wait(k, now) for k in keys)
        if wait > 0:
            return wait
        for k in keys:
            self._counts.setdefault(k, _Count()).pending += 1
        return 0.0

    def end(self, keys: tuple[Key, ...], ok: bool, clear: tuple[Key, ...] = ()) -> float:
        """Record how an attempt begun with ``begin`` ended; returns the wait it leaves (0.0: none).

        Args:
            keys: the attempt's keys, as given to ``begin``.
            ok: the password was right (or there was no verdict: the attempt is only released).
            clear: keys whose failures a right password forgets (the account's).
        """
        now = self.clock()
        for k in keys:
            count = self._counts.setdefault(k, _Count())
            count.pending = max(0, count.pending - 1)
            if ok:
                if k in clear:
                    count.failures, count.locked_until = 0, 0.0
                continue
            count.failures += 1
            count.last_failure = now
            over = count.failures - FREE[k[0]]
            if over >= 0:
                count.locked_until = now + min(FIRST_WAIT * 2**over, MAX_WAIT)
        self._tidy(now)
        return max(self._wait(k, now) for k in keys)

    def _wait(self, key: Key, now: float) -> float:
        count = self._counts.get(key)
        if count is None:
            return 0.0
        if _stale(count, now):
            del self._counts[key]
            return 0.0
        if count.locked_until > now:
            return count.locked_until - now
        if count.pending and count.failures + count.pending >= FREE[key[0]]:
            return 1.0  # enough attempts in flight to reach the limit: wait for their outcome
        return 0.0

    def _tidy(self, now: float) -> None:
        if len(self._counts) <= MAX_KEYS:
            return
        for k in [k for k, c in self._counts.items() if _stale(c, now)]:
            del self._counts[k]
        if len(self._counts) > MAX_KEYS:  # still full: drop the oldest that hold no lock
            unlocked = [(c.last_failure, k) for k, c in self._counts.items() if c.locked_until <= now]
            idle = sorted(x for x in unlocked if not self._counts[x[1]].pending)
            for _at, k in idle[: len(self._counts) - MAX_KEYS]:
                del self._counts[k]


def _stale(count: _Count, now: float) -> bool:
    """Nothing in flight, no lock in force, and the last failure long ago: nothing to keep."""
    return not count.pending and count.locked_until <= now and now - count.last_failure > FORGET


def retry_after(wait: float) -> int:
    """A wait in whole seconds, at least one."""
    return max(1, math.ceil(wait))
