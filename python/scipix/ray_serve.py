"""scipix behind Ray Serve: encoded image bytes in over HTTP, a model input tensor (or the
output of an ONNX model run on it) out.

:class:`TensorEndpoint` is the replica: each HTTP POST body is one JPEG or PNG; the reply
is the float32 tensor as raw little-endian bytes with its shape in the ``X-Scipix-Shape``
header (``1,3,640,640``) and ``X-Scipix-Dtype: float32``; a letterbox reply also carries
``X-Scipix-Letterbox`` (``scale_x,scale_y,left,top``: a letterbox point (x, y) maps back to
``((x - left) / scale_x, (y - top) / scale_y)`` in the decoded image). A body scipix cannot
decode, or an empty one, gets HTTP 400 with scipix's message as the text body. Pipelines:

- ``"letterbox"``: :func:`scipix.codec.decode_letterbox_to_tensor` (``new_shape``,
  ``mode``): ``cv2.imdecode`` + Ultralytics ``LetterBox`` + ``blobFromImage(1/255,
  swapRB=True)`` bit for bit in ``mode="exact"``;
- ``"classify"``: :func:`scipix.codec.decode_classify_to_tensor` (``resize_short``,
  ``crop``): Pillow + torchvision's Resize/CenterCrop/ToTensor/Normalize.

With ``model=`` (the path of an ONNX file with one input) the replica runs the tensor
through an ONNX Runtime session (``intra_op_num_threads=threads``) and replies with the
first output instead.

:func:`application` wraps the class in ``ray.serve.deployment`` and binds it; ``ray`` is
imported there only, so ``import scipix.ray_serve`` needs neither Ray nor Starlette::

    from ray import serve
    import scipix.ray_serve as rs

    serve.start(http_options={"host": "127.0.0.1", "port": 8000})
    serve.run(rs.application("letterbox", new_shape=640), route_prefix="/tensor")
    tensor, headers = rs.post("http://127.0.0.1:8000/tensor", open("frame.jpg", "rb").read())

:func:`post` is the matching client (urllib, one request); :func:`from_reply` turns a reply
body and its headers back into the numpy array. A replica uses one scipix thread by
default (``threads=1``): Serve scales by replicas, one per core.
"""
from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

from . import _core, codec
from .errors import ScipixError

__all__ = ["TensorEndpoint", "application", "post", "from_reply", "PIPELINES", "HttpError"]

#: The pipelines a :class:`TensorEndpoint` runs.
PIPELINES = ("letterbox", "classify")


class TensorEndpoint:
    """One Serve replica: image bytes -> tensor (or model output). Callable on a
    ``starlette.requests.Request``; :meth:`compute` is the same work on bytes, for use
    without HTTP (it raises scipix's exceptions)."""

    def __init__(self, pipeline: str = "letterbox", *, new_shape: Any = 640,
                 mode: str = "exact", resize_short: int = 256, crop: Any = 224,
                 model: Optional[str] = None, threads: Optional[int] = 1) -> None:
        if pipeline not in PIPELINES:
            raise ValueError(f"pipeline must be one of {', '.join(PIPELINES)}, not {pipeline!r}")
        self.pipeline = pipeline
        self.new_shape = new_shape
        self.mode = mode
        self.resize_short = resize_short
        self.crop = crop
        if threads is not None:
            _core.set_num_threads(threads)
        self._session: Any = None
        self._input = ""
        if model is not None:
            import onnxruntime as ort

            so = ort.SessionOptions()
            so.intra_op_num_threads = threads or 0
            self._session = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
            self._input = self._session.get_inputs()[0].name

    def compute(self, data: bytes) -> Tuple[np.ndarray, Dict[str, str]]:
        """(float32 array, extra reply headers) for one encoded image."""
        headers: Dict[str, str] = {}
        if self.pipeline == "letterbox":
            t, info = codec.decode_letterbox_to_tensor(data, self.new_shape, mode=self.mode)
            lb = info.letterbox
            if lb is not None:
                headers["X-Scipix-Letterbox"] = (f"{lb.scale_x!r},{lb.scale_y!r},"
                                                 f"{lb.left},{lb.top}")
        else:
            t, _ = codec.decode_classify_to_tensor(data, self.resize_short, self.crop,
                                                   mode=self.mode)
        if self._session is not None:
            t = np.ascontiguousarray(self._session.run(None, {self._input: t})[0], np.float32)
        return t, headers

    async def __call__(self, request: Any) -> Any:
        from starlette.responses import Response

        body = await request.body()
        if not body:
            return Response("the request body is empty: POST one JPEG or PNG", status_code=400,
                            media_type="text/plain")
        try:
            t, headers = self.compute(body)
        except ScipixError as e:
            return Response(str(e), status_code=400, media_type="text/plain")
        headers["X-Scipix-Shape"] = ",".join(str(d) for d in t.shape)
        headers["X-Scipix-Dtype"] = "float32"
        return Response(np.ascontiguousarray(t, "<f4").tobytes(), headers=headers,
                        media_type="application/octet-stream")


def application(pipeline: str = "letterbox", *, name: str = "scipix",
                num_replicas: int = 1, num_cpus: float = 1, max_ongoing_requests: int = 8,
                **options: Any) -> Any:
    """``serve.deployment(TensorEndpoint)`` with these replica settings, bound to
    ``TensorEndpoint(pipeline, **options)``: pass the result to ``serve.run``."""
    from ray import serve

    dep = serve.deployment(name=name, num_replicas=num_replicas,
                           ray_actor_options={"num_cpus": num_cpus},
                           max_ongoing_requests=max_ongoing_requests)(TensorEndpoint)
    return dep.bind(pipeline, **options)


class HttpError(Exception):
    """A reply other than 200: ``status`` and the text body (scipix's message for 400)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


def from_reply(body: bytes, headers: Mapping[str, str]) -> np.ndarray:
    """The array of a 200 reply: ``X-Scipix-Shape`` and float32 little-endian bytes."""
    lower = {k.lower(): v for k, v in headers.items()}
    if lower.get("x-scipix-dtype", "float32") != "float32":
        raise ValueError(f"unexpected dtype {lower['x-scipix-dtype']!r}")
    shape = tuple(int(d) for d in lower["x-scipix-shape"].split(",") if d)
    return np.frombuffer(body, "<f4").reshape(shape)


def post(url: str, data: bytes, timeout: float = 30.0) -> Tuple[np.ndarray, Dict[str, str]]:
    """POSTs one encoded image; (array, reply headers), or :class:`HttpError`."""
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
            headers = dict(r.headers.items())
    except urllib.error.HTTPError as e:
        raise HttpError(e.code, e.read().decode("utf-8", "replace")) from None
    return from_reply(body, headers), headers
