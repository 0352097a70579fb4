"""The dynamic batch queue from Python.

Producers (any threads) ``submit`` bytes (or a numpy array's bytes) and get a ticket, then
``result(ticket)`` / ``poll(ticket, wait_ms)``. Consumers (your threads) take batches with
``next_batch``, run the model, and ``complete`` them (or ``fail``); ``serve(fn)`` is that
consumer loop, and ``start_workers(n, fn)`` lets scipix's own threads call ``fn``.
Every blocking call releases the GIL while it waits.

    with Batcher(max_batch_size=16, max_wait_ms=5) as q:
        threading.Thread(target=q.serve, args=(model_fn,)).start()
        t = q.submit(b"request")
        out = q.result(t)
        q.shutdown("drain")
"""
from __future__ import annotations

import contextlib
import ctypes
import threading
import types
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from ._ffi import _ffi
from ._handles import NotPicklable
from .errors import InvalidArgument, InvalidState, ShutDown
from . import errors as _errors

_SLICE_MS = 100  # unbounded waits are made of slices this long, so Ctrl-C still works


def _pending() -> int:
    return _errors.PENDING


def _wait(wait_ms: Optional[float]) -> int:
    if wait_ms is None:
        return _SLICE_MS
    if wait_ms < 0:
        raise InvalidArgument(f"wait_ms must be >= 0 or None, got {wait_ms}")
    return min(int(wait_ms), _ffi.const("SCIPIX_WAIT_FOREVER") - 1)


class _Handle:
    def __init__(self, p: Any, free: Any) -> None:
        self.ptr, self._free = p, free

    def __del__(self) -> None:
        p, self.ptr = self.ptr, None
        if p and self._free is not None:
            try:
                self._free(p)
            except Exception:  # interpreter shutdown
                pass


class _View:
    def __init__(self, owner: Any, addr: Any, n: Any) -> None:
        self._owner = owner
        self.__array_interface__ = {"version": 3, "shape": (n,), "typestr": "|u1",
                                    "data": (addr, True)}


def _as_buffer(data: Any) -> Any:
    """(address or None, length, object keeping the memory alive) for bytes-like input,
    without a copy when the memory is contiguous."""
    if data is None:
        return None, 0, None
    if isinstance(data, np.ndarray):
        a = np.ascontiguousarray(data)
    else:
        try:
            a = np.frombuffer(data, np.uint8)  # bytes, bytearray, contiguous memoryview
        except (TypeError, ValueError, BufferError):
            a = np.frombuffer(memoryview(data).tobytes(), np.uint8)
    return (a.ctypes.data if a.nbytes else None), a.nbytes, a


class Batch(NotPicklable):
    """One batch handed to a consumer. ``inputs``: the requests' bytes (read-only numpy uint8
    views, zero copy, valid while the batch lives; copies in worker-callback mode);
    ``tickets``; ``complete(results)`` / ``fail(message)``. Completing or failing is
    required; a batch dropped unresolved is failed by scipix."""

    def __init__(self, p: Any, owned: bool) -> None:
        self._h: Optional[_Handle] = _Handle(p, _ffi.fn("scipix_batch_free") if owned else None)
        self._owned = owned
        n = _ffi.scipix_batch_count(p)
        data, ln, tk = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_uint64()
        self.inputs: List[np.ndarray] = []
        self.tickets: List[int] = []
        for i in range(n):
            _ffi.scipix_batch_item(p, i, ctypes.byref(data), ctypes.byref(ln), ctypes.byref(tk))
            if ln.value == 0 or not data.value:
                view = np.empty(0, np.uint8)
            elif owned:
                view = np.asarray(_View(self._h, data.value, ln.value))
            else:  # the batch dies when the callback returns: hand out copies
                view = np.frombuffer(ctypes.string_at(data.value, ln.value), np.uint8)
            view.flags.writeable = False
            self.inputs.append(view)
            self.tickets.append(tk.value)
        self.resolved = False

    def __len__(self) -> int:
        return len(self.tickets)

    def complete(self, results: Sequence[Any]) -> None:
        """Resolves every request with its result (bytes-like or numpy array, copied)."""
        results = list(results)
        n = len(results)
        if n != len(self):
            raise InvalidArgument(f"{n} results for a batch of {len(self)}")
        ptrs = (ctypes.c_void_p * max(n, 1))()
        lens = (ctypes.c_size_t * max(n, 1))()
        keep = []
        for i, r in enumerate(results):
            p, ln, k = _as_buffer(r)
            ptrs[i] = p
            lens[i] = ln
            keep.append(k)
        _ffi.scipix_batch_complete(self._ptr, ptrs, lens, n)
        self.resolved = True

    def fail(self, message: str = "processing failed") -> None:
        """Resolves every request as ``ProcessingFailed`` carrying ``message``."""
        _ffi.scipix_batch_fail(self._ptr, message.encode("utf-8"))
        self.resolved = True

    @property
    def _ptr(self) -> Any:
        if self._h is None:
            from .errors import InvalidState

            raise InvalidState("the batch was freed")
        return self._h.ptr

    def free(self) -> None:
        """Drops this object's reference: the batch is released (and failed, if still
        unresolved) once no view of its inputs is alive either."""
        self.inputs = []
        self._h = None

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.free()


class Batcher(NotPicklable):
    """A dynamic batcher (``scipix_batcher_*``); share one between any number of threads.
    Arguments left out keep the C defaults (``scipix_batcher_config_default``), except that
    ``preferred_batch_size`` is lowered to ``max_batch_size`` when only the latter is given."""

    def __init__(self, max_batch_size: Optional[int] = None, max_wait_ms: Optional[int] = None,
                 max_queue_size: Optional[int] = None, preferred_batch_size: Optional[int] = None,
                 priority_levels: Optional[int] = None, adaptive_target_ms: Optional[int] = None) -> None:
        cfg = _ffi.scipix_batcher_config_default()
        for name, v in dict(max_batch_size=max_batch_size, max_wait_ms=max_wait_ms,
                            max_queue_size=max_queue_size,
                            preferred_batch_size=preferred_batch_size,
                            priority_levels=priority_levels,
                            adaptive_target_ms=adaptive_target_ms).items():
            if v is not None:
                if v < 0:
                    raise InvalidArgument(f"{name} must be >= 0, got {v}")
                setattr(cfg, name, v)
        if preferred_batch_size is None and cfg.preferred_batch_size > cfg.max_batch_size:
            # the C default (16) would be invalid for a smaller max: prefer full batches
            cfg.preferred_batch_size = cfg.max_batch_size
        self.config = cfg
        out = ctypes.POINTER(_ffi.type("ScipixBatcher"))()
        _ffi.scipix_batcher_new(ctypes.byref(cfg), ctypes.byref(out))
        self._h: Optional[_Handle] = _Handle(out, _ffi.fn("scipix_batcher_free"))
        self._callbacks: List[Any] = []  # C callbacks of worker threads: alive as long as the batcher
        # Calls in progress: close() waits for them before freeing the C handle, so a thread
        # blocked in next_batch/poll never uses freed memory.
        self._calls = 0
        self._cv = threading.Condition()
        self._drain = False

    @contextlib.contextmanager
    def _use(self) -> Any:
        with self._cv:
            if self._h is None:
                from .errors import InvalidState

                raise InvalidState("the batcher is closed")
            self._calls += 1
            p = self._h.ptr
        try:
            yield p
        finally:
            with self._cv:
                self._calls -= 1
                self._cv.notify_all()

    # -- producers ---------------------------------------------------------------------------

    def submit(self, data: Any, *, deadline_ms: Optional[int] = None, priority: int = 0) -> int:
        """Queues a copy of ``data`` (bytes-like or numpy array) and returns its ticket.
        Never blocks: raises ``QueueFull`` when ``max_queue_size`` requests wait."""
        p, n, keep = _as_buffer(data)
        t = ctypes.c_uint64()
        with self._use() as b:
            _ffi.scipix_batcher_submit(b, p, n, -1 if deadline_ms is None else int(deadline_ms),
                                       priority, ctypes.byref(t))
        del keep
        return t.value

    def _take(self, ticket: int, wait: int) -> Optional[bytes]:
        res = ctypes.POINTER(_ffi.type("ScipixResult"))()
        with self._use() as b:
            st = _ffi.scipix_batcher_poll(b, ticket, wait, ctypes.byref(res))
        if st == _pending():
            return None
        try:
            n = _ffi.scipix_result_len(res)
            addr = _ffi.scipix_result_data(res)
            return ctypes.string_at(addr, n) if n else b""
        finally:
            _ffi.scipix_result_free(res)

    def poll(self, ticket: int, wait_ms: float = 0) -> Optional[bytes]:
        """The ticket's result bytes, or None if not ready within ``wait_ms``; raises
        ``Timeout`` / ``ProcessingFailed`` / ``Cancelled`` for those outcomes and
        ``NotFound`` for a ticket already taken (``scipix_batcher_poll``)."""
        return self._take(ticket, _wait(wait_ms))

    def try_poll(self, ticket: int) -> Optional[bytes]:
        """Non-blocking poll (``scipix_batcher_try_poll``)."""
        res = ctypes.POINTER(_ffi.type("ScipixResult"))()
        with self._use() as b:
            st = _ffi.scipix_batcher_try_poll(b, ticket, ctypes.byref(res))
        if st == _pending():
            return None
        try:
            n = _ffi.scipix_result_len(res)
            return ctypes.string_at(_ffi.scipix_result_data(res), n) if n else b""
        finally:
            _ffi.scipix_result_free(res)

    def result(self, ticket: int, timeout: Optional[float] = None) -> bytes:
        """Waits for the ticket's result (``timeout`` in seconds, None = no limit); raises
        the request's failure, or ``TimeoutError`` if ``timeout`` passes first."""
        import time

        end = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = _SLICE_MS if end is None else max(0, min(_SLICE_MS, int((end - time.monotonic()) * 1000)))
            r = self._take(ticket, wait)
            if r is not None:
                return r
            if end is not None and time.monotonic() >= end:
                raise TimeoutError(f"ticket {ticket} not resolved within {timeout} s")

    def next_completed(self, wait_ms: Optional[float] = 0) -> Optional[int]:
        """The next ticket whose outcome is ready (completion queue), or None; raises
        ``ShutDown`` when shut down and nothing is left (``scipix_batcher_next_completed``)."""
        t = ctypes.c_uint64()
        with self._use() as b:
            st = _ffi.scipix_batcher_next_completed(b, _wait(wait_ms), ctypes.byref(t))
        return None if st == _pending() else t.value

    # -- consumers ---------------------------------------------------------------------------

    def next_batch(self, wait_ms: Optional[float] = None) -> Optional[Batch]:
        """A batch worth running, or None if none within ``wait_ms`` (None = one wait slice);
        raises ``ShutDown`` when the consumer should stop (``scipix_batcher_next_batch``)."""
        out = ctypes.POINTER(_ffi.type("ScipixBatch"))()
        with self._use() as b:
            st = _ffi.scipix_batcher_next_batch(b, _wait(wait_ms), ctypes.byref(out))
        if st == _pending():
            return None
        return Batch(out, owned=True)

    def serve(self, fn: Callable[[List[np.ndarray]], Sequence[Any]], *, wait_ms: float = _SLICE_MS) -> int:
        """The consumer loop: takes batches until shutdown, calls ``fn(inputs)`` (a list of
        uint8 arrays, zero copy) which returns one result per input, and completes the
        batch; an exception from ``fn`` fails the batch with its message. Returns the number
        of batches served. Run it on as many threads as you want consumers."""
        served = 0
        while True:
            try:
                batch = self.next_batch(wait_ms)
            except (ShutDown, InvalidState):  # shut down, or closed by another thread
                return served
            if batch is None:
                continue
            with batch:
                try:
                    results = fn(batch.inputs)
                except Exception as e:  # the model failed: fail the batch, keep serving
                    batch.fail(f"{type(e).__name__}: {e}")
                else:
                    batch.complete(results)
            served += 1

    def start_workers(self, n: int, fn: Callable[[List[np.ndarray]], Sequence[Any]]) -> None:
        """Callback mode: ``n`` scipix threads call ``fn(inputs) -> results`` for each batch
        (``scipix_batcher_start_workers``); an exception fails the batch. Inputs are copies
        here (the batch ends when the callback returns)."""
        if n < 1:
            raise InvalidArgument(f"n must be >= 1, got {n}")
        cb_type = _ffi.type("ScipixBatchCallback")

        def trampoline(batch_ptr: Any, _user: Any) -> int:
            try:
                b = Batch(batch_ptr, owned=False)
                try:
                    results = fn(b.inputs)
                except Exception as e:
                    b.fail(f"{type(e).__name__}: {e}")
                    return 0
                b.complete(results)
                return 0
            except BaseException:  # never let an exception cross into C
                return 1

        cb = cb_type(trampoline)
        self._callbacks.append(cb)
        with self._use() as b:
            _ffi.scipix_batcher_start_workers(b, n, cb, None)

    # -- control -----------------------------------------------------------------------------

    def shutdown(self, mode: str = "drain") -> None:
        """"drain": stop accepting, consumers get every queued request, then ``ShutDown``;
        "cancel": queued requests are resolved as ``Cancelled`` now."""
        if mode not in ("drain", "cancel"):
            raise InvalidArgument(f"shutdown mode must be 'drain' or 'cancel', not {mode!r}")
        with self._use() as b:
            _ffi.scipix_batcher_shutdown(b, _ffi.const(f"SCIPIX_SHUTDOWN_{mode.upper()}"))
        self._drain = self._drain or mode == "drain"

    def stats(self) -> types.SimpleNamespace:
        """A snapshot of the counters (``ScipixBatcherStats`` fields as attributes)."""
        s = _ffi.type("ScipixBatcherStats")()
        with self._use() as b:
            _ffi.scipix_batcher_stats(b, ctypes.byref(s))
        return types.SimpleNamespace(**{name: getattr(s, name) for name, _ in s._fields_})

    def batch_size_histogram(self) -> np.ndarray:
        """counts[s] = batches of exactly s requests (``scipix_batcher_batch_size_histogram``)."""
        need = ctypes.c_size_t()
        from .errors import BufferTooSmall

        with self._use() as b:
            try:
                _ffi.scipix_batcher_batch_size_histogram(b, None, 0, ctypes.byref(need))
            except BufferTooSmall:
                pass
            counts = np.zeros(need.value, np.uint64)
            _ffi.scipix_batcher_batch_size_histogram(
                b, counts.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64)), counts.size,
                ctypes.byref(need))
        return counts

    def close(self) -> None:
        """Frees the batcher (``scipix_batcher_free``): queued requests are cancelled (or,
        after ``shutdown("drain")``, finished by the workers first), worker threads joined,
        threads blocked in calls woken (``serve`` loops return); waits for calls in progress
        so none touches freed memory. Batches still held stay valid. Later calls raise
        ``InvalidState``."""
        with self._cv:
            h = self._h
            if h is None:
                return
            # Wake every thread blocked in a call (as the C free would: CANCEL, or DRAIN when
            # the caller asked for a drain), then wait until all calls have returned.
            mode = "DRAIN" if self._drain else "CANCEL"
            _ffi.raw("scipix_batcher_shutdown")(h.ptr, _ffi.const(f"SCIPIX_SHUTDOWN_{mode}"))
            self._h = None
            while self._calls:
                self._cv.wait()
        p, h.ptr = h.ptr, None
        _ffi.scipix_batcher_free(p)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
