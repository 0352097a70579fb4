"""The batcher through ctypes: config/stats struct layouts, a Python consumer loop, and a
Python callback run by scipix worker threads (the callback ABI). No reference system
exists for batching, so outcomes are checked against the documented rules."""
import ctypes as C

from conftest import check

OK, NOT_FOUND, PENDING, PROCESSING_FAILED, SHUT_DOWN = 0, 9, 16, 12, 14
FOREVER = 0xFFFFFFFF


class Config(C.Structure):
    _fields_ = [
        ("max_batch_size", C.c_size_t),
        ("max_wait_ms", C.c_uint32),
        ("max_queue_size", C.c_size_t),
        ("preferred_batch_size", C.c_size_t),
        ("priority_levels", C.c_uint32),
        ("adaptive_target_ms", C.c_uint32),
    ]


class Stats(C.Structure):
    _fields_ = [(n, C.c_uint64) for n in (
        "queue_depth", "in_flight", "submitted", "completed", "rejected", "timed_out",
        "failed", "cancelled", "batches")] + [(n, C.c_double) for n in (
            "mean_batch_size", "queue_wait_p50_ms", "queue_wait_p99_ms", "processing_p50_ms",
            "processing_p99_ms")] + [("effective_batch_size", C.c_uint64)]


CALLBACK = C.CFUNCTYPE(C.c_int32, C.c_void_p, C.c_void_p)


def setup(lib):
    lib.scipix_batcher_config_default.restype = Config
    lib.scipix_batcher_new.argtypes = [C.POINTER(Config), C.POINTER(C.c_void_p)]
    lib.scipix_batcher_free.argtypes = [C.c_void_p]
    lib.scipix_batcher_submit.argtypes = [C.c_void_p, C.c_char_p, C.c_size_t, C.c_int64,
                                          C.c_int32, C.POINTER(C.c_uint64)]
    lib.scipix_batcher_next_batch.argtypes = [C.c_void_p, C.c_uint32, C.POINTER(C.c_void_p)]
    lib.scipix_batch_count.argtypes = [C.c_void_p]
    lib.scipix_batch_count.restype = C.c_size_t
    lib.scipix_batch_item.argtypes = [C.c_void_p, C.c_size_t, C.POINTER(C.c_void_p),
                                      C.POINTER(C.c_size_t), C.POINTER(C.c_uint64)]
    lib.scipix_batch_complete.argtypes = [C.c_void_p, C.POINTER(C.c_void_p),
                                          C.POINTER(C.c_size_t), C.c_size_t]
    lib.scipix_batch_fail.argtypes = [C.c_void_p, C.c_char_p]
    lib.scipix_batch_free.argtypes = [C.c_void_p]
    lib.scipix_batcher_poll.argtypes = [C.c_void_p, C.c_uint64, C.c_uint32,
                                        C.POINTER(C.c_void_p)]
    lib.scipix_result_data.argtypes = [C.c_void_p]
    lib.scipix_result_data.restype = C.c_void_p
    lib.scipix_result_len.argtypes = [C.c_void_p]
    lib.scipix_result_len.restype = C.c_size_t
    lib.scipix_result_free.argtypes = [C.c_void_p]
    lib.scipix_batcher_stats.argtypes = [C.c_void_p, C.POINTER(Stats)]
    lib.scipix_batcher_shutdown.argtypes = [C.c_void_p, C.c_uint32]
    lib.scipix_batcher_start_workers.argtypes = [C.c_void_p, C.c_size_t, CALLBACK, C.c_void_p]


def new(lib, **fields):
    cfg = lib.scipix_batcher_config_default()
    for k, v in fields.items():
        setattr(cfg, k, v)
    b = C.c_void_p()
    check(lib, lib.scipix_batcher_new(C.byref(cfg), C.byref(b)))
    return b


def submit(lib, b, data: bytes, priority=0):
    t = C.c_uint64()
    check(lib, lib.scipix_batcher_submit(b, data, len(data), -1, priority, C.byref(t)))
    return t.value


def take(lib, b, t):
    r = C.c_void_p()
    st = lib.scipix_batcher_poll(b, t, FOREVER, C.byref(r))
    if st != OK:
        return st, lib.scipix_last_error_message().decode()
    data = C.string_at(lib.scipix_result_data(r), lib.scipix_result_len(r))
    lib.scipix_result_free(r)
    return st, data


def items(lib, batch):
    out = []
    for i in range(lib.scipix_batch_count(batch)):
        p, n, t = C.c_void_p(), C.c_size_t(), C.c_uint64()
        check(lib, lib.scipix_batch_item(batch, i, C.byref(p), C.byref(n), C.byref(t)))
        out.append((t.value, C.string_at(p, n.value)))
    return out


def complete(lib, batch, results):
    bufs = [C.create_string_buffer(r, len(r)) for r in results]
    ptrs = (C.c_void_p * len(bufs))(*[C.cast(x, C.c_void_p) for x in bufs])
    lens = (C.c_size_t * len(bufs))(*[len(r) for r in results])
    return lib.scipix_batch_complete(batch, ptrs, lens, len(bufs))


def test_defaults_and_consumer_loop_with_priorities(lib):
    setup(lib)
    d = lib.scipix_batcher_config_default()
    assert (d.max_batch_size, d.max_wait_ms, d.max_queue_size, d.preferred_batch_size,
            d.priority_levels, d.adaptive_target_ms) == (32, 50, 1000, 16, 4, 0)
    b = new(lib, max_batch_size=3, preferred_batch_size=0, max_wait_ms=10_000)
    low = [submit(lib, b, b"low%d" % i, 0) for i in range(2)]
    high = submit(lib, b, b"high", 3)
    batch = C.c_void_p()
    check(lib, lib.scipix_batcher_next_batch(b, 0, C.byref(batch)))
    got = items(lib, batch)
    assert [t for t, _ in got] == [high] + low  # higher priority first, then FIFO
    check(lib, complete(lib, batch, [d[::-1] for _, d in got]))
    assert complete(lib, batch, [b"x"] * 3) == 15  # INVALID_STATE: completed twice
    lib.scipix_batch_free(batch)
    assert take(lib, b, high) == (OK, b"hgih")
    assert take(lib, b, low[1]) == (OK, b"1wol")
    assert take(lib, b, low[1])[0] == NOT_FOUND
    s = Stats()
    check(lib, lib.scipix_batcher_stats(b, C.byref(s)))
    assert (s.submitted, s.completed, s.batches, s.mean_batch_size, s.effective_batch_size) == (
        3, 3, 1, 3.0, 3)
    lib.scipix_batcher_free(b)


def test_python_callback_on_worker_threads(lib):
    setup(lib)
    b = new(lib, max_batch_size=4, preferred_batch_size=4, max_wait_ms=1)

    @CALLBACK
    def model(batch, _user):
        got = items(lib, batch)
        if any(d == b"fail" for _, d in got):
            return 7  # nonzero: scipix fails the batch
        return complete(lib, batch, [d.upper() for _, d in got])

    check(lib, lib.scipix_batcher_start_workers(b, 2, model, None))
    tickets = [(submit(lib, b, b"req%d" % i), b"REQ%d" % i) for i in range(40)]
    for t, want in tickets:
        assert take(lib, b, t) == (OK, want)
    bad = submit(lib, b, b"fail")
    st, msg = take(lib, b, bad)
    assert st == PROCESSING_FAILED and "returned 7" in msg
    check(lib, lib.scipix_batcher_shutdown(b, 0))
    lib.scipix_batcher_free(b)  # joins the workers: the callback is not called afterwards
