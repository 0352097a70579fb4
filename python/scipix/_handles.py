"""The rule for objects that wrap a C handle: they are not pickled (nor copied)."""
from __future__ import annotations

from typing import Any, NoReturn


class NotPicklable:
    """Mixin for classes wrapping a scipix C handle (a pointer valid in one process only):
    ``pickle`` and ``copy`` raise ``TypeError`` saying to open the object in each worker."""

    __slots__ = ()

    def _refuse(self) -> NoReturn:
        name = type(self).__name__
        raise TypeError(
            f"scipix.{name} wraps a C handle and cannot be pickled or copied: open it in "
            f"each worker process (pass the path or the constructor arguments, e.g. "
            f"scipix.Safetensors(path) inside the task or actor, and construct the {name} "
            f"there)")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        self._refuse()

    def __reduce__(self) -> NoReturn:
        self._refuse()

    def __getstate__(self) -> NoReturn:
        self._refuse()
