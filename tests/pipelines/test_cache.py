"""The shared LRU cache: bounded, recency-ordered, safe under threads."""

import threading

from fitroom.pipelines.cache import Lru


def test_least_recently_used_goes_first_and_invalid_entries_are_remade():
    c = Lru(2)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1  # a is now the most recent
    c.put("c", 3)
    assert c.get("b") is None and c.get("a") == 1 and len(c) == 2
    assert c.get_or("a", lambda: 9, valid=lambda v: v != 1) == 9  # stale: made again
    assert c.get("a") == 9
    c.drop("a")
    c.clear()
    assert len(c) == 0
    empty = Lru(0)
    empty.put("x", 1)
    assert empty.get("x") is None


def test_many_threads_never_break_it():
    c = Lru(4)
    errors = []

    def work(t):
        try:
            for i in range(2000):
                k = (t * 7 + i) % 9
                assert c.get_or(k, lambda: k * 10) == k * 10
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    ts = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors and len(c) <= 4
