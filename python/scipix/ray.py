"""scipix inside Ray Data: building blocks for ``Dataset.map_batches``.

Importing this module imports ``ray`` (``import scipix`` does not import this module).

* :class:`Preprocess`: a callable class for ``map_batches(..., batch_format="numpy")``
  that turns a column of encoded JPEG/PNG bytes (``ray.data.read_binary_files``) or of
  uint8 images (``ray.data.read_images``) into a float32 tensor column with scipix
  (letterbox, classify, resize, PP-OCRv4 detector input), plus per-row geometry and an
  ``error`` column: an input scipix cannot decode becomes an error row, never a failed task.
* :class:`OnnxModel`: a callable class for ``map_batches(..., compute=ActorPoolStrategy(...))``
  (or ``concurrency=``) running an ONNX Runtime session over a safetensors or GGUF weights
  file that scipix validates; by default ONNX Runtime reads the weights from the file's
  pages in the page cache (one copy per node, not one per actor).
* :func:`split_onnx_weights`: writes any ONNX model as (graph without weights, weights
  file) for :class:`OnnxModel`.
* :func:`worker_threads` / :func:`configure_threads` / :func:`session_options`: size
  scipix's pool and ONNX Runtime's intra-op pool from the CPUs Ray assigned to the current
  worker, so that neither oversubscribes the node.

Handles (``Safetensors``, ``Gguf``, ``Model``, ``Resizer``, ``Batcher``, ...) refuse to be
pickled: the classes here hold paths and parameters and open their handles in the worker
that uses them.
"""
from __future__ import annotations

import math
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import ray

from . import _core
from .errors import InvalidArgument, ScipixError

__all__ = ["Preprocess", "OnnxModel", "split_onnx_weights", "worker_threads",
           "configure_threads", "session_options", "in_worker", "OPS"]

OPS = ("letterbox", "classify", "resize", "ocr_det")
"""The operations :class:`Preprocess` runs."""

Batch = Dict[str, np.ndarray]


# -- threads ------------------------------------------------------------------------------------

def worker_threads() -> int:
    """The number of CPUs Ray assigned to the calling task or actor
    (``ray.get_runtime_context().get_assigned_resources()["CPU"]``), rounded down, at least
    1; 1 outside a Ray worker (the driver, or Ray not initialized)."""
    if not ray.is_initialized():
        return 1
    try:
        ctx: Any = ray.get_runtime_context()
        cpus = float(ctx.get_assigned_resources().get("CPU", 0.0))
    except Exception:  # the driver has no assignment
        return 1
    return max(1, int(math.floor(cpus)))


def in_worker() -> bool:
    """True in a Ray task or actor process (not in the driver)."""
    if not ray.is_initialized():
        return False
    ctx: Any = ray.get_runtime_context()
    return bool(ctx.worker.mode == ray.WORKER_MODE)


def _pool_size(threads: Optional[int]) -> Optional[int]:
    """``threads`` when given, else the worker's CPUs in a Ray worker, else None (leave the
    process's pools as they are)."""
    if threads is not None:
        return int(threads)
    return worker_threads() if in_worker() else None


def configure_threads(n: Optional[int] = None) -> int:
    """Sizes scipix's thread pool to ``n`` threads (default :func:`worker_threads`) and
    returns the count. Call it in the worker (a callable class's ``__init__``), not in the
    driver."""
    count = worker_threads() if n is None else int(n)
    if count < 1:
        raise InvalidArgument(f"thread count must be >= 1, got {count}")
    _core.set_num_threads(count)
    return count


def session_options(threads: Optional[int] = None) -> Any:
    """``onnxruntime.SessionOptions`` for one session in a Ray worker: ``threads`` intra-op
    threads (default :func:`worker_threads`; 0 lets ONNX Runtime choose), one inter-op
    thread, sequential execution, and no spinning of idle pool threads (they would burn CPUs
    other workers were given)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = worker_threads() if threads is None else int(threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return so


# -- preprocessing ------------------------------------------------------------------------------

_OP_PARAMS: Dict[str, Dict[str, Any]] = {
    "letterbox": {"new_shape": 640, "color": 114, "scaleup": True, "center": True,
                  "layout": "nchw", "format": "rgb", "mode": "exact"},
    "classify": {"resize_short": 256, "crop": 224, "mean": (0.485, 0.456, 0.406),
                 "std": (0.229, 0.224, 0.225), "layout": "nchw", "format": "rgb",
                 "mode": "exact"},
    "resize": {"size": 224, "resize_mode": "cv_linear", "divisor": 255.0, "mean": None,
               "std": None, "swap_rb": False, "layout": "nchw"},
    "ocr_det": {"limit_side_len": 736, "limit_type": "min"},
}


class Preprocess:
    """A ``map_batches`` callable (``batch_format="numpy"``) running one scipix operation.

    ``op``: "letterbox" (``decode_letterbox_*`` / ``letterbox_*_to_tensor``; parameters
    ``new_shape``, ``color``, ``scaleup``, ``center``, ``layout``, ``format``, ``mode``),
    "classify" (``decode_classify_*`` / ``classify_*_to_tensor``; ``resize_short``,
    ``crop``, ``mean``, ``std``, ``layout``, ``format``, ``mode``), "resize"
    (``resize_*_to_tensor`` after decoding to RGB; ``size``, ``resize_mode``, ``divisor``,
    ``mean``, ``std``, ``swap_rb``, ``layout``) or "ocr_det" (``scipix.ocr.det_preprocess``
    of the BGR image, RapidOCR's PP-OCRv4 detector input; ``limit_side_len``,
    ``limit_type``). Unknown parameters raise ``TypeError``.

    ``column``: the input column, either encoded JPEG/PNG bytes (``read_binary_files``) or
    HxWx3 uint8 images (``read_images``; their channel order is ``image_format``, "rgb" as
    Ray reads them, or "bgr"). JPEG and PNG are decoded as ``cv2.imdecode`` does (the
    "classify" op follows Pillow, as its peer does).

    Returns the batch without the input column (unless ``keep_input``), plus:

    * ``output`` (default "tensor"): per row the tensor without the batch axis, e.g.
      (3, H, W) float32. One (N, ...) array when every row has the same shape, else an
      object array of per-row arrays; an error row holds zeros of the batch's shape, or a
      (C, 0, 0) array when no shape is known;
    * ``scale`` (N, 2) float64 and ``pad`` (N, 2) float64: a tensor pixel (x, y) comes from
      source pixel ``((x - pad_x) / scale_x, (y - pad_y) / scale_y)`` (a crop gives a
      negative pad); ``source_size`` (N, 2) int64: the decoded image's (width, height);
    * ``error`` (N,) str: "" for a good row; for a row scipix could not process,
      ``"<path>: <scipix's message>"`` (the ``path`` column's value when the batch has one,
      else the row index) and zeros in the geometry columns.

    Rows with a shape every row shares run through scipix's batch pipelines (parallel over
    the rows). scipix's pool is sized by :func:`configure_threads` (``threads``, default the
    CPUs Ray assigned) in each process that constructs or calls the object: in ``__init__``
    (the class given to ``map_batches`` with ``compute=ActorPoolStrategy(...)``, constructed
    in each actor) and again on the first call in another process (an instance given to
    ``map_batches``, run as tasks; it holds only parameters, so it pickles). Outside a Ray
    worker the pool is left as it is unless ``threads`` is given. Only scipix's own errors
    become error rows; anything else (a wrong column name, say) fails the task.
    """

    def __init__(self, op: str = "letterbox", *, column: str = "bytes", output: str = "tensor",
                 path_column: str = "path", image_format: str = "rgb", keep_input: bool = False,
                 threads: Optional[int] = None, **params: Any) -> None:
        if op not in OPS:
            raise InvalidArgument(f"op must be one of {', '.join(OPS)}, not {op!r}")
        unknown = sorted(set(params) - set(_OP_PARAMS[op]))
        if unknown:
            raise TypeError(f"unknown parameters for {op!r}: {', '.join(unknown)}; "
                            f"known: {', '.join(_OP_PARAMS[op])}")
        if image_format not in ("rgb", "bgr"):
            raise InvalidArgument(f"image_format must be 'rgb' or 'bgr', not {image_format!r}")
        self.op = op
        self.column = column
        self.output = output
        self.path_column = path_column
        self.image_format = image_format
        self.keep_input = keep_input
        self.params: Dict[str, Any] = {**_OP_PARAMS[op], **params}
        self.requested_threads = threads
        self.threads = 0
        self._pid = 0
        self._configure()

    def _configure(self) -> None:
        self._pid = os.getpid()
        n = _pool_size(self.requested_threads)
        self.threads = _core.get_num_threads() if n is None else configure_threads(n)

    # one row ------------------------------------------------------------------------------------

    def _image(self, item: Any, fmt: str) -> np.ndarray:
        """The row as an HxWx3 uint8 image in ``fmt`` ("rgb" or "bgr")."""
        from .codec import decode

        if isinstance(item, np.ndarray) and item.dtype == np.uint8 and item.ndim == 3:
            if item.shape[2] != 3:
                raise InvalidArgument(f"images must be HxWx3, got shape {item.shape}")
            return item if self.image_format == fmt else np.ascontiguousarray(item[..., ::-1])
        if isinstance(item, np.ndarray) and item.ndim != 1:
            raise InvalidArgument(f"expected encoded bytes or an HxWx3 uint8 image, got an "
                                  f"array of shape {item.shape} and dtype {item.dtype}")
        return decode(_as_bytes(item), fmt)

    def _one(self, item: Any) -> Tuple[np.ndarray, Tuple[float, float, float, float, int, int]]:
        """(tensor without the batch axis, (scale_x, scale_y, pad_x, pad_y, width, height))."""
        from . import codec, ocr, resize

        p = self.params
        encoded = not (isinstance(item, np.ndarray) and item.ndim == 3)
        if self.op == "letterbox":
            if encoded:
                t, bi = codec.decode_letterbox_to_tensor(
                    _as_bytes(item), p["new_shape"], mode=p["mode"], format=p["format"],
                    color=p["color"], scaleup=p["scaleup"], center=p["center"],
                    layout=p["layout"])
                lb: Any = bi.letterbox
                k = 8.0 / bi.scale_num
                return t[0], (lb.scale_x / k, lb.scale_y / k, lb.left, lb.top,
                              bi.source_width, bi.source_height)
            img = self._image(item, "rgb")
            t, lb = resize.letterbox_to_tensor(img, p["new_shape"], "rgb", color=p["color"],
                                               scaleup=p["scaleup"], center=p["center"],
                                               layout=p["layout"])
            return t[0], (lb.scale_x, lb.scale_y, lb.left, lb.top, img.shape[1], img.shape[0])
        if self.op == "classify":
            if encoded:
                t, bi = codec.decode_classify_to_tensor(
                    _as_bytes(item), p["resize_short"], p["crop"], mode=p["mode"],
                    format=p["format"], mean=p["mean"], std=p["std"], layout=p["layout"])
                w, h = bi.source_width, bi.source_height
            else:
                img = self._image(item, "rgb")
                t = resize.classify_to_tensor(img, p["resize_short"], p["crop"], "rgb",
                                              mean=p["mean"], std=p["std"], layout=p["layout"])
                w, h = img.shape[1], img.shape[0]
            return t[0], (*self._classify_geometry(w, h), w, h)
        img = self._image(item, "bgr" if self.op == "ocr_det" else "rgb")
        h, w = img.shape[:2]
        if self.op == "resize":
            rw, rh = resize._wh(p["size"], "size")
            t = resize.resize_to_tensor(img, (rw, rh), p["resize_mode"], "rgb",
                                        divisor=p["divisor"], mean=p["mean"], std=p["std"],
                                        swap_rb=p["swap_rb"], layout=p["layout"])
            return t[0], (rw / w, rh / h, 0.0, 0.0, w, h)
        d = ocr.det_preprocess(img, limit_side_len=p["limit_side_len"],
                               limit_type=p["limit_type"])
        if d is None:
            raise InvalidArgument(f"a {w}x{h} image has a side that rounds to 0 at "
                                  f"limit_side_len={p['limit_side_len']} (RapidOCR skips it)")
        return d[0], (d.shape[3] / w, d.shape[2] / h, 0.0, 0.0, w, h)

    def _classify_geometry(self, w: int, h: int) -> Tuple[float, float, float, float]:
        # torchvision Resize(int) then CenterCrop
        from .resize import _wh

        s = int(self.params["resize_short"])
        cw, ch = _wh(self.params["crop"], "crop")
        if w <= h:
            ow, oh = s, int(s * h / w)
        else:
            ow, oh = int(s * w / h), s
        left, top = int(round((ow - cw) / 2.0)), int(round((oh - ch) / 2.0))
        return ow / w, oh / h, -float(left), -float(top)

    # a batch ------------------------------------------------------------------------------------

    def _fixed_batch(self, items: Sequence[Any]) -> Optional[Tuple[np.ndarray, np.ndarray]]:
        """The batch through one scipix batch pipeline when the operation has a fixed output
        shape: (tensor (N, ...), geometry (N, 6)); None when the operation has none."""
        from . import codec, resize

        p = self.params
        if self.op not in ("letterbox", "classify", "resize"):
            return None
        encoded = not any(isinstance(x, np.ndarray) and x.ndim == 3 for x in items)
        geo = np.zeros((len(items), 6), np.float64)
        if self.op == "letterbox" and encoded:
            t, infos = codec.decode_letterbox_batch_to_tensor(
                [_as_bytes(x) for x in items], p["new_shape"], mode=p["mode"],
                format=p["format"], color=p["color"], scaleup=p["scaleup"],
                center=p["center"], layout=p["layout"])
            for i, bi in enumerate(infos):
                lbi: Any = bi.letterbox
                k = 8.0 / bi.scale_num
                geo[i] = (lbi.scale_x / k, lbi.scale_y / k, lbi.left, lbi.top,
                          bi.source_width, bi.source_height)
            return t, geo
        if self.op == "classify" and encoded:
            t, infos = codec.decode_classify_batch_to_tensor(
                [_as_bytes(x) for x in items], p["resize_short"], p["crop"], mode=p["mode"],
                format=p["format"], mean=p["mean"], std=p["std"], layout=p["layout"])
            for i, bi in enumerate(infos):
                w, h = bi.source_width, bi.source_height
                geo[i] = (*self._classify_geometry(w, h), w, h)
            return t, geo
        imgs = [self._image(x, "rgb") for x in items]
        for i, img in enumerate(imgs):
            geo[i, 4:] = (img.shape[1], img.shape[0])
        if self.op == "letterbox":
            t, lbs = resize.letterbox_batch_to_tensor(imgs, p["new_shape"], "rgb",
                                                      color=p["color"], scaleup=p["scaleup"],
                                                      center=p["center"], layout=p["layout"])
            for i, lb in enumerate(lbs):
                geo[i, :4] = (lb.scale_x, lb.scale_y, lb.left, lb.top)
            return t, geo
        if self.op == "classify":
            t = np.concatenate([resize.classify_to_tensor(
                img, p["resize_short"], p["crop"], "rgb", mean=p["mean"], std=p["std"],
                layout=p["layout"]) for img in imgs])
            for i, img in enumerate(imgs):
                geo[i, :4] = self._classify_geometry(img.shape[1], img.shape[0])
            return t, geo
        rw, rh = resize._wh(p["size"], "size")
        t = resize.resize_batch_to_tensor(imgs, (rw, rh), p["resize_mode"], "rgb",
                                          divisor=p["divisor"], mean=p["mean"], std=p["std"],
                                          swap_rb=p["swap_rb"], layout=p["layout"])
        for i, img in enumerate(imgs):
            geo[i, :4] = (rw / img.shape[1], rh / img.shape[0], 0.0, 0.0)
        return t, geo

    def __call__(self, batch: Batch) -> Batch:
        if self._pid != os.getpid():  # first call in this process (an instance sent to tasks)
            self._configure()
        items = batch[self.column]
        n = len(items)
        paths = batch.get(self.path_column)
        errors = [""] * n
        tensors: List[Optional[np.ndarray]] = [None] * n
        geo = np.zeros((n, 6), np.float64)
        whole: Optional[np.ndarray] = None
        if n:
            try:  # the whole batch in one call; a bad row makes it fall back row by row
                fixed = self._fixed_batch(list(items))
            except ScipixError:
                fixed = None
            if fixed is not None:
                whole, geo = fixed  # the batch tensor is the column as it is: no restacking
        if whole is None:
            for i in range(n):
                try:
                    t1, g = self._one(items[i])
                except ScipixError as e:
                    where = str(paths[i]) if paths is not None else f"row {i}"
                    errors[i] = f"{where}: {e}"
                    continue
                tensors[i] = t1
                geo[i] = g
        out: Batch = {k: v for k, v in batch.items() if k != self.column or self.keep_input}
        out[self.output] = whole if whole is not None else _stack(tensors)
        out["scale"] = geo[:, 0:2].copy()
        out["pad"] = geo[:, 2:4].copy()
        out["source_size"] = geo[:, 4:6].astype(np.int64)
        out["error"] = np.array(errors, dtype=object).astype(str) if n else np.array([], str)
        return out


def _as_bytes(item: Any) -> bytes:
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    if isinstance(item, np.ndarray):
        return np.ascontiguousarray(item).reshape(-1).view(np.uint8).tobytes()
    if isinstance(item, str):
        raise InvalidArgument("expected encoded bytes, got a str (a path column?)")
    return bytes(item)


def _stack(tensors: Sequence[Optional[np.ndarray]]) -> np.ndarray:
    """One (N, ...) array when every row has a tensor of one shape (failed rows get zeros
    of it), else an object array of per-row arrays."""
    shapes = {t.shape for t in tensors if t is not None}
    if len(shapes) == 1:
        (shape,) = shapes
        res = np.zeros((len(tensors), *shape), np.float32)
        for i, t in enumerate(tensors):
            if t is not None:
                res[i] = t
        return res
    ndim = next(iter(shapes)).__len__() if shapes else 3
    empty = np.zeros((3,) + (0,) * (ndim - 1), np.float32) if ndim >= 1 else np.zeros(0, np.float32)
    res = np.empty(len(tensors), dtype=object)
    for i, t in enumerate(tensors):
        res[i] = empty if t is None else np.ascontiguousarray(t)
    return res


# -- model weights mapped by scipix, run by ONNX Runtime ------------------------------------------

def _weights_format(path: Any) -> str:
    p = os.fspath(path)
    if p.endswith(".safetensors"):
        return "safetensors"
    if p.endswith(".gguf"):
        return "gguf"
    raise InvalidArgument(f"weights file must end in .safetensors or .gguf: {p!r}")


def split_onnx_weights(model_path: Any, graph_out: Any, weights_out: Any, *,
                       min_elements: int = 16) -> List[str]:
    """Writes the ONNX model at ``model_path`` as two files: ``weights_out`` (a
    ``.safetensors`` file, or ``.gguf``, which holds float32 and float16 only) with its
    weights, and ``graph_out``, the model whose weights are references into that file (ONNX
    external data: ``location`` the weights file's name, ``offset`` and ``length`` of the
    tensor's bytes in it).

    Weights are the initializers and the tensors of ``Constant`` nodes (which become
    initializers of the same name) with at least ``min_elements`` elements and a dtype the
    weights format holds; the rest stay in the graph as they are. :class:`OnnxModel` serves
    the pair with the weights as scipix-mapped numpy views; the graph also loads on its own
    in ONNX Runtime when the weights file sits next to it. The outputs equal the original
    model's (ONNX Runtime turns ``Constant`` nodes into initializers itself). Returns the
    names moved, in file order. Needs the ``onnx`` package."""
    import onnx
    from onnx import numpy_helper

    from .model import FROM_NUMPY, Safetensors, write_safetensors

    fmt = _weights_format(weights_out)
    m = onnx.load(os.fspath(model_path))

    def movable(a: np.ndarray) -> bool:
        if a.size < min_elements:
            return False
        return a.dtype in FROM_NUMPY if fmt == "safetensors" else \
            a.dtype in (np.float32, np.float16)

    arrays: Dict[str, np.ndarray] = {}
    g = m.graph
    keep_nodes = []
    for node in g.node:
        attrs = list(node.attribute)
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx") and len(attrs) == 1 \
                and attrs[0].name == "value" and len(node.output) == 1:
            a = numpy_helper.to_array(attrs[0].t)
            if movable(a) and node.output[0] not in arrays:
                t = numpy_helper.from_array(a, node.output[0])
                g.initializer.append(t)
                arrays[node.output[0]] = np.ascontiguousarray(a)
                continue
        keep_nodes.append(node)
    del g.node[:]
    g.node.extend(keep_nodes)
    for t in g.initializer:
        if t.name in arrays:
            continue
        a = numpy_helper.to_array(t)
        if movable(a):
            arrays[t.name] = np.ascontiguousarray(a)
    if fmt == "safetensors":
        write_safetensors(weights_out, arrays, {"format": "onnx-initializers"})
        with Safetensors(weights_out) as st:
            where = {k: (st.info(k).file_offset, st.info(k).nbytes) for k in arrays}
    else:
        from .gguf import Gguf, GgufWriter

        with GgufWriter() as w:
            w.add_string("general.architecture", "onnx-initializers")
            for k, a in arrays.items():
                w.add_tensor(k, a)
            w.write(weights_out)
        with Gguf(weights_out) as gg:
            where = {k: (gg.info(k).file_offset, gg.info(k).nbytes) for k in arrays}
    location = os.path.basename(os.fspath(weights_out))
    for t in g.initializer:
        if t.name not in arrays:
            continue
        dims, dtype, name = list(t.dims), t.data_type, t.name
        t.Clear()
        t.name, t.data_type = name, dtype
        t.dims.extend(dims)
        t.data_location = onnx.TensorProto.EXTERNAL
        off, nbytes = where[name]
        for k, v in (("location", location), ("offset", str(off)), ("length", str(nbytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
    onnx.save(m, os.fspath(graph_out))
    return list(arrays)


class OnnxModel:
    """A ``map_batches`` callable class (``batch_format="numpy"``, run as actors:
    ``compute=ray.data.ActorPoolStrategy(...)`` or ``concurrency=``) serving an ONNX model
    split by :func:`split_onnx_weights`.

    In each actor: scipix's pool and the session's intra-op threads are sized with
    :func:`configure_threads` / :func:`session_options` (``threads``, default the CPUs Ray
    assigned; outside a Ray worker and without ``threads``, scipix's pool is left alone and
    ONNX Runtime picks its own count), ``weights`` (.safetensors or .gguf) is opened and
    validated by scipix, and the session is created from ``graph``.

    ``share_weights=True`` (the default): every external-data reference of ``graph`` must
    name ``weights`` (in the graph's folder, as :func:`split_onnx_weights` writes it) at
    exactly the offset and length of the tensor of that name in the scipix-validated file,
    or ``InvalidArgument`` is raised before any session exists. ONNX Runtime then maps the
    file itself, read-only, and the session runs with ``session.disable_prepacking``: the
    weights stay pages of the file in the page cache, one copy per node whatever the number
    of actors. Weights that graph optimization rewrites (a Conv fused with its
    BatchNormalization, say) become private to the session.
    ``share_weights=False``: the mapped tensors are given to ONNX Runtime as external
    initializers and prepacking stays on; ONNX Runtime 1.32 then keeps a private copy of
    the weights per session (PSS shows N actors costing 1 + N copies), in exchange for its
    prepacked kernels.

    Each call feeds ``input_column`` (the model input ``input_name``, default the first)
    and adds one column per model output (named as the output, or ``output_columns[name]``)
    holding each row's slice of the result. Rows whose ``error`` column is non-empty are
    passed through without running the model (their outputs are empty float32 arrays).
    Rows of equal input shape run together, at most ``max_batch`` rows per run (default
    unlimited; 1 runs rows one at a time). The ``error`` column is kept (added empty when
    missing).
    """

    def __init__(self, graph: Any, weights: Any, *, input_column: str = "tensor",
                 input_name: Optional[str] = None,
                 output_columns: Optional[Mapping[str, str]] = None,
                 max_batch: Optional[int] = None, threads: Optional[int] = None,
                 providers: Sequence[str] = ("CPUExecutionProvider",),
                 share_weights: bool = True) -> None:
        import onnxruntime as ort

        self.graph = os.fspath(graph)
        self.weights = os.fspath(weights)
        self.input_column = input_column
        self.max_batch = max_batch
        n = _pool_size(threads)
        self.threads = 0 if n is None else configure_threads(n)
        fmt = _weights_format(self.weights)
        if fmt == "safetensors":
            from .model import Safetensors

            self._file: Any = Safetensors(self.weights)
        else:
            from .gguf import Gguf

            self._file = Gguf(self.weights)
        names = list(self._file.keys()) if fmt == "safetensors" else self._file.names()
        self.share_weights = share_weights
        so = session_options(self.threads)
        if share_weights:
            _check_external_data(self.graph, self.weights, self._file, names)
            self._arrays: List[np.ndarray] = []
            so.add_session_config_entry("session.disable_prepacking", "1")
        else:
            self._arrays = [self._file[k] for k in names]  # views: they keep the map alive
            so.add_external_initializers(
                names, [ort.OrtValue.ortvalue_from_numpy(a) for a in self._arrays])
        self.session = ort.InferenceSession(self.graph, sess_options=so,
                                            providers=list(providers))
        self.input_name = input_name or self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.output_columns = {k: (output_columns or {}).get(k, k) for k in self.output_names}

    def pid(self) -> int:
        """The process id of the worker running this object (for tests and monitoring)."""
        return os.getpid()

    def intra_op_threads(self) -> int:
        """The session's intra-op thread count."""
        return int(self.session.get_session_options().intra_op_num_threads)

    def threads_in_use(self) -> Dict[str, int]:
        """{"scipix": scipix's pool size in this process, "onnxruntime": the session's
        intra-op threads}."""
        return {"scipix": _core.get_num_threads(), "onnxruntime": self.intra_op_threads()}

    def run(self, x: np.ndarray) -> List[np.ndarray]:
        """The model's outputs for one input array (batch axis included)."""
        return list(self.session.run(None, {self.input_name: x}))

    def __call__(self, batch: Batch) -> Batch:
        x = batch[self.input_column]
        n = len(x)
        err = batch.get("error")
        errors = np.array([""] * n, dtype=object).astype(str) if err is None else err
        results: Dict[str, List[Optional[np.ndarray]]] = {k: [None] * n for k in self.output_names}
        groups: Dict[Tuple[int, ...], List[int]] = {}
        for i in range(n):
            if not errors[i]:
                groups.setdefault(tuple(np.shape(x[i])), []).append(i)
        step = self.max_batch or n or 1
        for rows in groups.values():
            for s in range(0, len(rows), step):
                part = rows[s:s + step]
                inp = np.ascontiguousarray(np.stack([np.asarray(x[i], np.float32) for i in part]))
                for name, y in zip(self.output_names, self.run(inp)):
                    for j, i in enumerate(part):
                        results[name][i] = y[j]
        out: Batch = {k: v for k, v in batch.items() if k != self.input_column}
        for o in self.session.get_outputs():
            rank = max(len(o.shape) - 1, 0)
            out[self.output_columns[o.name]] = _stack_outputs(results[o.name], rank)
        out["error"] = errors
        return out


def _check_external_data(graph: str, weights: str, file: Any, names: Sequence[str]) -> None:
    """Raises ``InvalidArgument`` unless every external-data initializer of ``graph`` names
    the file ``weights`` (in the graph's folder) at the offset and length of the tensor of
    the same name in ``file`` (the scipix-opened ``weights``)."""
    import onnx

    m = onnx.load(graph, load_external_data=False)
    folder = os.path.dirname(os.path.abspath(graph))
    known = set(names)
    for t in m.graph.initializer:
        if t.data_location != onnx.TensorProto.EXTERNAL:
            continue
        ext = {e.key: e.value for e in t.external_data}
        where = os.path.join(folder, ext.get("location", ""))
        if not os.path.exists(where) or not os.path.samefile(where, weights):
            raise InvalidArgument(
                f"{graph}: initializer {t.name!r} reads {ext.get('location')!r}, not {weights!r}")
        if t.name not in known:
            raise InvalidArgument(f"{graph}: initializer {t.name!r} is not in {weights!r}")
        info = file.info(t.name)
        want = (int(info.file_offset), int(info.nbytes))
        try:
            got = (int(ext.get("offset", "0")), int(ext["length"]))
        except (KeyError, ValueError):
            raise InvalidArgument(f"{graph}: initializer {t.name!r} has no valid offset/length") from None
        if got != want:
            raise InvalidArgument(
                f"{graph}: initializer {t.name!r} reads bytes {got[0]}..{got[0] + got[1]} of "
                f"{weights!r}, where scipix finds the tensor at {want[0]}..{want[0] + want[1]}")


def _stack_outputs(values: Sequence[Optional[np.ndarray]], rank: int) -> np.ndarray:
    """(N, ...) when every row has an output of one shape, else an object array; a row
    without output (an error row) holds an empty float32 array of the output's rank."""
    shapes = {v.shape for v in values if v is not None}
    if len(shapes) == 1 and all(v is not None for v in values):
        return np.stack([v for v in values if v is not None])
    res = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        res[i] = np.zeros((0,) * rank, np.float32) if v is None else v
    return res
