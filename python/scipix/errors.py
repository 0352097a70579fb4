"""Python exceptions for scipix status codes.

Every ``SCIPIX_ERR_*`` status has one exception class, a subclass of ``ScipixError`` (and of
the closest built-in exception, so ``except ValueError`` also catches ``InvalidArgument``).
The exception carries the status code (``.status``) and the library's message for the
failed call (``.message``, from ``scipix_last_error_message()`` on the calling thread).
``SCIPIX_PENDING`` is not an error: polling functions return it.
"""
from __future__ import annotations

from typing import Dict, Optional, Type

OK = 0
PENDING = 16

__all__ = [
    "ScipixError", "NullPointer", "InvalidArgument", "SizeOverflow", "UnsupportedFormat",
    "BufferTooSmall", "OutOfMemory", "IoError", "InvalidFile", "NotFound", "QueueFull",
    "Timeout", "ProcessingFailed", "Cancelled", "ShutDown", "InvalidState", "Panic",
    "Unsupported",
]


class ScipixError(Exception):
    """A scipix call failed. ``status``: the ``SCIPIX_ERR_*`` code; ``message``: the
    library's description of what exactly was wrong."""

    status: int = -1
    status_name: str = ""

    def __init__(self, message: str = "", status: Optional[int] = None) -> None:
        if status is not None:
            self.status = status
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        name = self.status_name or f"status {self.status}"
        return f"{name}: {self.message}" if self.message else name


class NullPointer(ScipixError, ValueError):
    """A required pointer argument was NULL (``SCIPIX_ERR_NULL_POINTER``)."""


class InvalidArgument(ScipixError, ValueError):
    """An argument is out of range or inconsistent (``SCIPIX_ERR_INVALID_ARGUMENT``)."""


class SizeOverflow(ScipixError, OverflowError):
    """A size computation overflowed (``SCIPIX_ERR_SIZE_OVERFLOW``)."""


class UnsupportedFormat(ScipixError, ValueError):
    """Pixel format, dtype or layout not supported (``SCIPIX_ERR_UNSUPPORTED_FORMAT``)."""


class BufferTooSmall(ScipixError, ValueError):
    """An output buffer is too small (``SCIPIX_ERR_BUFFER_TOO_SMALL``)."""


class OutOfMemory(ScipixError, MemoryError):
    """Memory could not be allocated (``SCIPIX_ERR_OUT_OF_MEMORY``)."""


class IoError(ScipixError, OSError):
    """An operating-system I/O call failed (``SCIPIX_ERR_IO``)."""


class InvalidFile(ScipixError, ValueError):
    """A file is malformed or violates its format (``SCIPIX_ERR_INVALID_FILE``)."""


class NotFound(ScipixError, LookupError):
    """The named tensor, metadata key or ticket does not exist (``SCIPIX_ERR_NOT_FOUND``)."""


class QueueFull(ScipixError):
    """The queue is full; retry later (``SCIPIX_ERR_QUEUE_FULL``)."""


class Timeout(ScipixError, TimeoutError):
    """A deadline or wait time expired (``SCIPIX_ERR_TIMEOUT``)."""


class ProcessingFailed(ScipixError):
    """The processing step (model) failed this work (``SCIPIX_ERR_PROCESSING_FAILED``)."""


class Cancelled(ScipixError):
    """The request was cancelled (``SCIPIX_ERR_CANCELLED``)."""


class ShutDown(ScipixError):
    """The object was shut down and accepts no more work (``SCIPIX_ERR_SHUT_DOWN``)."""


class InvalidState(ScipixError):
    """The call is not valid in the object's current state (``SCIPIX_ERR_INVALID_STATE``)."""


class Panic(ScipixError):
    """A panic inside scipix was caught at the C boundary (``SCIPIX_ERR_PANIC``); the object
    involved may be unusable, the process is fine."""


class Unsupported(ScipixError):
    """The operation is not available in this build of scipix, e.g. JPEG decoding in a build
    without the ``codec`` feature or on WebAssembly (``SCIPIX_ERR_UNSUPPORTED``)."""


# Status name in the header -> class. A test checks this covers every SCIPIX_ERR_* of the
# header; a status added to the header later still gets a generated class (see _register).
_BY_NAME: Dict[str, Type[ScipixError]] = {
    "SCIPIX_ERR_NULL_POINTER": NullPointer,
    "SCIPIX_ERR_INVALID_ARGUMENT": InvalidArgument,
    "SCIPIX_ERR_SIZE_OVERFLOW": SizeOverflow,
    "SCIPIX_ERR_UNSUPPORTED_FORMAT": UnsupportedFormat,
    "SCIPIX_ERR_BUFFER_TOO_SMALL": BufferTooSmall,
    "SCIPIX_ERR_OUT_OF_MEMORY": OutOfMemory,
    "SCIPIX_ERR_IO": IoError,
    "SCIPIX_ERR_INVALID_FILE": InvalidFile,
    "SCIPIX_ERR_NOT_FOUND": NotFound,
    "SCIPIX_ERR_QUEUE_FULL": QueueFull,
    "SCIPIX_ERR_TIMEOUT": Timeout,
    "SCIPIX_ERR_PROCESSING_FAILED": ProcessingFailed,
    "SCIPIX_ERR_CANCELLED": Cancelled,
    "SCIPIX_ERR_SHUT_DOWN": ShutDown,
    "SCIPIX_ERR_INVALID_STATE": InvalidState,
    "SCIPIX_ERR_PANIC": Panic,
    "SCIPIX_ERR_UNSUPPORTED": Unsupported,
}

BY_STATUS: Dict[int, Type[ScipixError]] = {}


def _register(status_values: Dict[str, int]) -> None:
    """Binds each class to its numeric status from the header's ScipixStatus enum."""
    global OK, PENDING
    for name, value in status_values.items():
        if name == "SCIPIX_OK":
            OK = value
            continue
        if name == "SCIPIX_PENDING":
            PENDING = value
            continue
        cls = _BY_NAME.get(name)
        if cls is None:  # a status newer than this module: generate a class for it
            camel = "".join(w.capitalize() for w in name[len("SCIPIX_ERR_"):].split("_"))
            cls = type(camel, (ScipixError,), {"__doc__": f"``{name}``"})
            _BY_NAME[name] = cls
            globals()[camel] = cls
            __all__.append(camel)
        cls.status = value
        cls.status_name = name
        BY_STATUS[value] = cls


def from_status(status: int, message: str) -> ScipixError:
    cls = BY_STATUS.get(status, ScipixError)
    return cls(message, status)
