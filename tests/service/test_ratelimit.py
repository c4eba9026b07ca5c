"""Rate limiters: in memory and in Redis (shared by every server process)."""

from __future__ import annotations

import pytest

from fitroom.service.ratelimit import MemoryRateLimiter, RedisRateLimiter

from .helpers import REDIS_URL, redis_prefix


def _check(limiter):
    assert [limiter.hit("u1", 3) for _ in range(3)] == [None, None, None]
    wait = limiter.hit("u1", 3)
    assert wait is not None and 1 <= wait <= 60
    assert limiter.hit("u2", 3) is None  # per key


def test_memory_limiter():
    _check(MemoryRateLimiter())


def test_redis_limiter_is_shared_between_instances():
    import redis

    with redis_prefix() as prefix:
        client = redis.Redis.from_url(REDIS_URL)
        a = RedisRateLimiter(client, prefix=prefix)
        _check(a)
        b = RedisRateLimiter(redis.Redis.from_url(REDIS_URL), prefix=prefix)
        assert b.hit("u1", 3) is not None  # another process sees the same count


def test_memory_limiter_forgets_old_windows():
    lim = MemoryRateLimiter(window=0.2)
    assert lim.hit("k", 1) is None and lim.hit("k", 1) is not None
    import time

    time.sleep(0.25)
    assert lim.hit("k", 1) is None
    assert len(lim._counts) == 1
