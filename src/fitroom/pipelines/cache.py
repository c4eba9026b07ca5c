"""A small least-recently-used cache, safe to share between threads (the service runs
several try-ons at once on one pipeline)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["Lru"]


class Lru:
    """At most ``size`` entries; ``size <= 0`` keeps nothing. Values are computed outside the
    lock (two threads may compute the same one; the last stays)."""

    def __init__(self, size: int):
        self.size = size
        self._d: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._d)

    def get(self, key: Hashable, default=None):
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key]
        return default

    def put(self, key: Hashable, value) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.size:
                self._d.popitem(last=False)

    def get_or(self, key: Hashable, make: Callable[[], Any], valid: Callable[[Any], bool] | None = None):
        """The cached value of ``key`` (if ``valid(value)``, when given), else ``make()``, cached."""
        with self._lock:
            if key in self._d and (valid is None or valid(self._d[key])):
                self._d.move_to_end(key)
                return self._d[key]
        value = make()
        self.put(key, value)
        return value

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._d.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._d.clear()
