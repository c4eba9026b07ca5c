"""Fixed-window rate limits per key (a user id, or an IP when signed out), and exponential
back-off of failed sign-ins per account and per IP.

In memory by default; in Redis when the service has one, so that every API process
shares the same counts.
"""

from __future__ import annotations

import math
import threading
import time

__all__ = ["MemoryBackoff", "MemoryRateLimiter", "RedisBackoff", "RedisRateLimiter"]


class MemoryRateLimiter:
    def __init__(self, window: float = 60.0):
        self.window = window
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._last_sweep = 0

    def hit(self, key: str, limit: int) -> float | None:
        """Count one request; ``None`` if allowed, else the seconds to wait."""
        now = time.time()
        slot = int(now // self.window)
        with self._lock:
            if slot != self._last_sweep:  # forget old windows
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= slot}
                self._last_sweep = slot
            n = self._counts.get((key, slot), 0) + 1
            self._counts[(key, slot)] = n
        if n > limit:
            return max(1.0, math.ceil((slot + 1) * self.window - now))
        return None


class RedisRateLimiter:
    def __init__(self, client, window: float = 60.0, prefix: str = "fitroom:rl:"):
        self.client, self.window, self.prefix = client, window, prefix

    def hit(self, key: str, limit: int) -> float | None:
        now = time.time()
        slot = int(now // self.window)
        k = f"{self.prefix}{key}:{slot}"
        pipe = self.client.pipeline()
        pipe.incr(k)
        pipe.expire(k, int(self.window) + 5)
        n = int(pipe.execute()[0])
        if n > limit:
            return max(1.0, math.ceil((slot + 1) * self.window - now))
        return None


class _Backoff:
    """Failed attempts per key with exponential back-off: the first ``free`` failures cost
    nothing; after the n-th one beyond them the key waits ``2 ** (n - 1)`` seconds (at most
    ``max_wait``) before it may try again. A success clears the key; so does ``forget_after``
    seconds without failures. ``clock``: seconds (``time.time``; tests pass their own)."""

    def __init__(self, free: int, max_wait: float, forget_after: float = 3600.0, clock=time.time):
        self.free, self.max_wait, self.forget_after, self.clock = int(free), float(max_wait), float(forget_after), clock

    def _lock_for(self, n: int) -> float:
        beyond = n - self.free
        return 0.0 if beyond <= 0 else min(self.max_wait, 2.0 ** (beyond - 1))


class MemoryBackoff(_Backoff):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._state: dict[str, tuple[int, float, float]] = {}  # key -> (failures, locked until, last failure)
        self._lock = threading.Lock()

    def wait(self, key: str) -> float | None:
        """Seconds ``key`` must still wait, or None when it may try now."""
        now = self.clock()
        with self._lock:
            n, until, last = self._state.get(key, (0, 0.0, 0.0))
            if n and now - last > self.forget_after:
                self._state.pop(key, None)
                return None
        return max(1.0, math.ceil(until - now)) if until > now else None

    def failed(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._state) > 100_000:  # forget the stale ones
                self._state = {k: v for k, v in self._state.items() if now - v[2] <= self.forget_after}
            n, _, last = self._state.get(key, (0, 0.0, 0.0))
            n = 1 if n and now - last > self.forget_after else n + 1
            self._state[key] = (n, now + self._lock_for(n), now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._state.pop(key, None)


class RedisBackoff(_Backoff):
    """The same in Redis (shared by every server process): a hash per key, expiring."""

    def __init__(self, client, *a, prefix: str = "fitroom:bo:", **kw):
        super().__init__(*a, **kw)
        self.client, self.prefix = client, prefix

    def wait(self, key: str) -> float | None:
        until = self.client.hget(self.prefix + key, "until")
        now = self.clock()
        if until is None or float(until) <= now:
            return None
        return max(1.0, math.ceil(float(until) - now))

    def failed(self, key: str) -> None:
        k = self.prefix + key
        n = int(self.client.hincrby(k, "n", 1))
        pipe = self.client.pipeline()
        pipe.hset(k, "until", self.clock() + self._lock_for(n))
        pipe.expire(k, int(self.forget_after))
        pipe.execute()

    def succeeded(self, key: str) -> None:
        self.client.delete(self.prefix + key)
