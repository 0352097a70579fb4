"""scipix: fast, exact preprocessing and model plumbing, from Python.

A thin layer over the scipix C library (libscipix), which the package bundles, called
through ctypes with declarations generated from the library's header when the package was
built (``python -m scipix`` prints what was loaded); status codes become exceptions
(``scipix.ScipixError`` subclasses carrying the library's message); arrays are numpy arrays
passed without copies where the memory layout allows.

    >>> import scipix
    >>> scipix.version()
    '0.1.0'
"""
from . import _ffi as _ffi_module
from . import errors as _errors

_lib = _ffi_module._ffi  # the loaded library (scipix._ffi stays the module)
_errors._register(_lib.enum_values("ScipixStatus"))

from .errors import *  # noqa: E402,F401,F403  (exception classes)
from .errors import __all__ as _error_names  # noqa: E402
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
from . import batch, codec, detect, errors, gguf, image, model, ocr, ort, quant, resize, tensor  # noqa: E402,F401
from .batch import Batcher  # noqa: E402,F401
from .codec import (  # noqa: E402,F401
    decode, decode_classify_batch_to_tensor, decode_classify_to_tensor,
    decode_letterbox_batch_to_tensor, decode_letterbox_to_tensor, probe,
)
from .detect import (  # noqa: E402,F401
    Detections, batched_nms, nms_boxes, nms_xyxy, softmax, top_k, yolo_decode,
)
from .gguf import (  # noqa: E402,F401
    GgmlType, Gguf, GgufWriter, ggml_dequantize, ggml_quantize, ggml_row_size, ggml_type_name,
)
from .model import Model, Safetensors, write_safetensors  # noqa: E402,F401
from .resize import (  # noqa: E402,F401
    Resizer, classify_batch_to_tensor, classify_to_tensor, letterbox, letterbox_batch_to_tensor,
    letterbox_to_tensor, resize_to_tensor,
)
from .tensor import (  # noqa: E402,F401
    image_tensor_len, image_to_tensor, images_to_tensor, normalize, normalize_channels,
    tensor_stats,
)

__all__ = [
    "CpuFeature", "Isa", "OptLevel", "PixelFormat",
    "abi_version", "active_isa", "available_isas", "best_isa", "cpu_features",
    "cpu_features_string", "debug_panic", "get_max_isa", "get_num_threads", "get_opt_level",
    "isa_name", "last_error_copy", "last_error_message", "max_isa", "memory_opt_enabled",
    "num_threads", "opt_level", "parallel_enabled", "set_max_isa", "set_num_threads",
    "set_opt_level", "simd_enabled", "status_str", "version",
    "batch", "codec", "detect", "errors", "gguf", "image", "model", "ocr", "quant", "resize",
    "tensor",
    "decode", "decode_classify_batch_to_tensor", "decode_classify_to_tensor",
    "decode_letterbox_batch_to_tensor", "decode_letterbox_to_tensor", "probe",
    "Detections", "batched_nms", "nms_boxes", "nms_xyxy", "softmax", "top_k", "yolo_decode",
    "Batcher", "GgmlType", "Gguf", "GgufWriter", "ggml_dequantize", "ggml_quantize",
    "ggml_row_size", "ggml_type_name", "Model", "Safetensors", "write_safetensors",
    "Resizer", "classify_batch_to_tensor", "classify_to_tensor", "letterbox",
    "letterbox_batch_to_tensor", "letterbox_to_tensor", "resize_to_tensor",
    "image_tensor_len", "image_to_tensor", "images_to_tensor", "normalize",
    "normalize_channels", "tensor_stats",
    "lib_path", "header_path", "HEADER_ABI_VERSION", "__version__",
    *_error_names,
]

lib_path = _lib.lib_path
"""The shared library in use: the bundled copy, or ``$SCIPIX_LIB``."""
header_path = _lib.header_path
"""The C header shipped with the package (``scipix/include/scipix.h``), for C extensions
that link against ``lib_path``; None if the package was installed without it."""
HEADER_ABI_VERSION = _lib.const("SCIPIX_ABI_VERSION")
"""The ABI the package's declarations describe (the library's matches, or import fails)."""

__version__ = version()
