"""scipix: fast, exact preprocessing and model plumbing, from Python.

A thin layer over the scipix C library (libscipix) using ctypes. The C declarations are
generated from the library's header at import time; status codes become exceptions
(``scipix.ScipixError`` subclasses carrying the library's message); arrays are numpy arrays
passed without copies where the memory layout allows.

    >>> import scipix
    >>> scipix.version()
    '0.1.0'
"""
from . import _ffi as _ffi_module
from . import errors as _errors

_lib = _ffi_module._ffi  # the loaded library (scipix._ffi stays the module)
_errors._register(dict(_lib.header.enums["ScipixStatus"].values))

from .errors import *  # noqa: E402,F401,F403  (exception classes)
from .errors import ScipixError  # noqa: E402
from ._core import (  # noqa: E402,F401
    CpuFeature, Isa, OptLevel, PixelFormat,
    abi_version, active_isa, available_isas, best_isa, cpu_features, cpu_features_string,
    debug_panic, get_max_isa, get_num_threads, get_opt_level, isa_name, last_error_copy,
    last_error_message, max_isa, memory_opt_enabled, num_threads, opt_level,
    parallel_enabled, set_max_isa, set_num_threads, set_opt_level, simd_enabled, status_str,
    version,
)

# Capability modules: each exposes what the loaded library exports and raises
# NotImplementedError naming the missing C symbol otherwise.
from . import batch, image, model, quant, resize, tensor  # noqa: E402,F401
from .batch import Batcher  # noqa: E402,F401
from .model import Model, Safetensors, write_safetensors  # noqa: E402,F401
from .resize import (  # noqa: E402,F401
    Resizer, classify_batch_to_tensor, classify_to_tensor, letterbox, letterbox_batch_to_tensor,
    letterbox_to_tensor, resize_to_tensor,
)
from .tensor import (  # noqa: E402,F401
    image_tensor_len, image_to_tensor, images_to_tensor, normalize, normalize_channels,
    tensor_stats,
)

lib_path = _lib.lib_path
header_path = _lib.header_path
HEADER_ABI_VERSION = _lib.consts.get("SCIPIX_ABI_VERSION")

if HEADER_ABI_VERSION is not None and abi_version() != HEADER_ABI_VERSION:
    import warnings

    warnings.warn(
        f"{lib_path} reports ABI {abi_version()} but {header_path} describes ABI "
        f"{HEADER_ABI_VERSION}; rebuild and reinstall the package",
        RuntimeWarning,
    )

__version__ = version()
