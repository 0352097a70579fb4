"""The batch queue from Python threads: every ticket resolved exactly once with the right
result or error, consumer loop and worker-callback modes, shutdown, stats, bad input."""
from typing import Any, List
import threading
import time

import numpy as np
import pytest

import scipix
from scipix.batch import Batcher
from conftest import requires
from numpy.random import Generator

pytestmark = requires("scipix_batcher_new", "scipix_batcher_submit", "scipix_batcher_next_batch",
                      "scipix_batch_complete", "scipix_batcher_poll")


def transform(b: np.ndarray) -> bytes:
    return bytes(reversed(b.tobytes())) + b"!"


def model(inputs: Any) -> Any:
    return [transform(x) for x in inputs]


def run_producers(q: Any, n_threads: int, per_thread: Any, results: Any, errors: Any, **submit_kw: Any) -> Any:
    def producer(k: Any) -> None:
        try:
            rng = np.random.default_rng(k)
            for i in range(per_thread):
                payload = rng.integers(0, 256, rng.integers(0, 40), dtype=np.uint8).tobytes()
                t = q.submit(payload, **submit_kw)
                results.append((payload, q.result(t, timeout=60)))
        except Exception as e:  # pragma: no cover - reported by the caller
            errors.append(e)

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    return threads


def test_many_producers_and_consumers(rng: Generator) -> None:
    q = Batcher(max_batch_size=16, max_wait_ms=2, preferred_batch_size=8)
    consumers = [threading.Thread(target=q.serve, args=(model,)) for _ in range(2)]
    for c in consumers:
        c.start()
    results: List[Any] = []
    errors: List[Any] = []
    for t in run_producers(q, 6, 150, results, errors):
        t.join()
    q.shutdown("drain")
    for c in consumers:
        c.join(30)
    assert errors == [] and len(results) == 900
    for payload, got in results:
        assert got == transform(np.frombuffer(payload, np.uint8))
    s = q.stats()
    assert s.submitted == s.completed == 900 and s.failed == s.timed_out == 0
    assert 1 <= s.mean_batch_size <= 16 and s.batches >= 900 / 16
    hist = q.batch_size_histogram()
    assert hist.size == 17 and int(hist.sum()) == s.batches
    assert int((hist * np.arange(17)).sum()) == 900
    q.close()


def test_batch_inputs_are_zero_copy_views(rng: Generator) -> None:
    with Batcher(max_batch_size=4, max_wait_ms=1000, preferred_batch_size=4) as q:
        arrays = [rng.integers(0, 256, 12, dtype=np.uint8) for _ in range(4)]
        tickets = [q.submit(a, priority=1) for a in arrays]
        b = q.next_batch(wait_ms=5000)
        assert b is not None and len(b) == 4 and b.tickets == tickets
        for a, v in zip(arrays, b.inputs):
            np.testing.assert_array_equal(v, a)
            assert not v.flags.writeable and not v.flags.owndata
        views = b.inputs
        b.complete([np.flip(v) for v in views])
        del b  # the views keep the batch alive
        np.testing.assert_array_equal(views[0], arrays[0])
        for a, t in zip(arrays, tickets):
            assert q.poll(t, wait_ms=1000) == np.flip(a).tobytes()


def test_polling_and_completion_queue() -> None:
    with Batcher(max_batch_size=2, max_wait_ms=1, preferred_batch_size=2) as q:
        t1, t2 = q.submit(b"a"), q.submit(bytearray(b"b"))
        assert q.try_poll(t1) is None and q.poll(t1, wait_ms=0) is None
        assert q.next_completed(0) is None
        b = q.next_batch(wait_ms=1000)
        b.complete([b"A", memoryview(b"B")])
        done = {q.next_completed(1000), q.next_completed(1000)}
        assert done == {t1, t2}
        assert q.try_poll(t2) == b"B" and q.result(t1) == b"A"
        with pytest.raises(scipix.NotFound):
            q.try_poll(t1)  # taken already
        with pytest.raises(scipix.NotFound):
            q.poll(12345)


def test_failures_reach_the_producer_with_the_message() -> None:
    with Batcher(max_batch_size=4, max_wait_ms=1) as q:
        def broken(inputs: Any) -> None:
            raise RuntimeError("model exploded")

        c = threading.Thread(target=q.serve, args=(broken,))
        c.start()
        t = q.submit(b"x")
        with pytest.raises(scipix.ProcessingFailed, match="model exploded"):
            q.result(t, timeout=30)
        q.shutdown("drain")
        c.join(30)
        assert q.stats().failed == 1


def test_deadlines_queue_full_and_priorities() -> None:
    with Batcher(max_batch_size=8, max_wait_ms=10_000, max_queue_size=3, preferred_batch_size=0,
                 priority_levels=2) as q:
        late = q.submit(b"late", deadline_ms=1)
        q.submit(b"low", priority=0)
        hi = q.submit(b"high", priority=1)
        with pytest.raises(scipix.QueueFull):
            q.submit(b"one too many")
        with pytest.raises(scipix.InvalidArgument):
            q.submit(b"p", priority=5)
        time.sleep(0.05)
        q.shutdown("drain")  # releases what is queued at once
        b = q.next_batch(wait_ms=1000)
        assert b.tickets[0] == hi  # higher priority first
        assert late not in b.tickets
        b.complete([x.tobytes() for x in b.inputs])
        with pytest.raises(scipix.Timeout):
            q.result(late, timeout=10)
        with pytest.raises(scipix.ShutDown):
            q.next_batch(wait_ms=1000)
        with pytest.raises(scipix.ShutDown):
            q.submit(b"after")
        s = q.stats()
        assert (s.rejected, s.timed_out, s.completed) == (1, 1, 2)


def test_cancel_shutdown() -> None:
    q = Batcher(max_batch_size=4, max_wait_ms=10_000, preferred_batch_size=0)
    tickets = [q.submit(bytes([i])) for i in range(3)]
    q.shutdown("cancel")
    for t in tickets:
        with pytest.raises(scipix.Cancelled):
            q.result(t, timeout=10)
    assert q.stats().cancelled == 3
    q.close()
    with pytest.raises(scipix.InvalidState):
        q.submit(b"closed")


def test_batch_misuse_raises() -> None:
    with Batcher(max_batch_size=2, max_wait_ms=1) as q:
        q.submit(b"1")
        b = q.next_batch(wait_ms=1000)
        with pytest.raises(scipix.InvalidArgument):
            b.complete([b"a", b"b"])  # wrong count
        from scipix._ffi import _ffi
        import ctypes
        lens = (ctypes.c_size_t * 2)(0, 0)
        ptrs = (ctypes.c_void_p * 2)()
        with pytest.raises(scipix.InvalidArgument):  # the library's own count check
            _ffi.scipix_batch_complete(b._ptr, ptrs, lens, 2)
        b.complete([b"ok"])
        with pytest.raises(scipix.InvalidState):
            b.complete([b"again"])
        with pytest.raises(scipix.InvalidState):
            b.fail("again")
        b.free()
        with pytest.raises(scipix.InvalidState):
            b.complete([b"x"])


def test_unresolved_batch_is_failed_when_dropped() -> None:
    with Batcher(max_batch_size=1, max_wait_ms=1) as q:
        t = q.submit(b"x")
        b = q.next_batch(wait_ms=1000)
        b.free()
        del b
        with pytest.raises(scipix.ProcessingFailed):
            q.result(t, timeout=10)


@pytest.mark.parametrize("kw", [dict(max_batch_size=0), dict(max_batch_size=4, preferred_batch_size=5),
                                dict(max_queue_size=0), dict(priority_levels=0)])
def test_bad_config(kw: Any) -> None:
    with pytest.raises(scipix.InvalidArgument):
        Batcher(**kw)


@requires("scipix_batcher_start_workers")
def test_worker_callback_mode() -> None:
    q = Batcher(max_batch_size=8, max_wait_ms=1)

    def fn(inputs: Any) -> Any:
        if inputs and inputs[0].tobytes() == b"boom":
            raise ValueError("bad request")
        return [x.tobytes().upper() for x in inputs]

    q.start_workers(2, fn)
    tickets = {q.submit(f"req{i}".encode()): f"REQ{i}".encode() for i in range(100)}
    for t, want in tickets.items():
        assert q.result(t, timeout=30) == want
    time.sleep(0.01)
    t = q.submit(b"boom")
    with pytest.raises(scipix.ProcessingFailed, match="bad request"):
        q.result(t, timeout=30)
    with pytest.raises(scipix.InvalidArgument):
        q.start_workers(0, fn)
    q.shutdown("drain")
    q.close()  # joins the workers


def test_close_while_threads_are_blocked() -> None:
    q = Batcher(max_batch_size=4, max_wait_ms=10_000, preferred_batch_size=0)
    served = []
    consumers = [threading.Thread(target=lambda: served.append(q.serve(model, wait_ms=60_000)))
                 for _ in range(2)]
    for c in consumers:
        c.start()
    t = q.submit(b"pending")
    errors = []

    def waiter() -> None:
        try:
            q.result(t, timeout=60)
        except scipix.ScipixError as e:
            errors.append(type(e))

    w = threading.Thread(target=waiter)
    w.start()
    time.sleep(0.1)
    q.close()  # wakes the blocked consumers and the waiter, then frees
    for th in consumers + [w]:
        th.join(30)
        assert not th.is_alive()
    assert served == [0, 0]
    assert errors and errors[0] in (scipix.Cancelled, scipix.InvalidState)
    q.close()  # idempotent
