"""Fixed-window rate limits per key (a user id, or an IP when signed out).

In memory by default; in Redis when the service has one, so that every API process
shares the same counts.
"""

from __future__ import annotations

import math
import threading
import time

__all__ = ["MemoryRateLimiter", "RedisRateLimiter"]


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
