"""scipix preprocessing and NMS inside an ONNX model, for ONNX Runtime.

The custom-operator library ``libscipix_ort.so`` (crate ``scipix-ort``, ``ort/`` in the
repository) adds the operator domain ``scipix`` to ONNX Runtime; these helpers edit an
existing ONNX model so it carries its own preprocessing (and optionally NMS) as nodes of
that domain:

- :func:`add_preprocessing` puts one scipix operator (``LetterboxToTensor``,
  ``ClassifyToTensor``, ``DecodeLetterboxToTensor`` or ``ImageToTensor``) in front of a
  model input with ``onnx.compose.merge_models``, so the combined model takes the uint8
  image (or the encoded file) and computes exactly what running scipix first and then the
  model computes;
- :func:`add_nms` appends ``Nms`` or ``BatchedNms`` to two model outputs (boxes, scores);
- :func:`library_path` is ``$SCIPIX_ORT_LIB`` when set, the path to give
  ``SessionOptions.register_custom_ops_library``.

The ``onnx`` package is imported inside the functions, so ``scipix`` does not depend on it;
the operator library is only needed to run the result.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Tuple

__all__ = ["library_path", "add_preprocessing", "add_nms", "PREPROCESSING_OPS", "DOMAIN"]

#: The operator domain of libscipix_ort (opset version 1).
DOMAIN = "scipix"

#: Preprocessing operators: (input element type name, input shape, outputs after the tensor).
PREPROCESSING_OPS: Dict[str, Tuple[str, List[Any], List[str]]] = {
    "LetterboxToTensor": ("uint8", ["height", "width", 3], ["geometry"]),
    "DecodeLetterboxToTensor": ("uint8", ["bytes"], ["geometry"]),
    "ClassifyToTensor": ("uint8", ["height", "width", 3], []),
    "ImageToTensor": ("uint8", ["height", "width", "channels"], []),
}


def library_path() -> Optional[str]:
    """``$SCIPIX_ORT_LIB`` (the path of ``libscipix_ort.so``) when set, else None."""
    return os.environ.get("SCIPIX_ORT_LIB") or None


def _load(model: Any) -> Any:
    import onnx

    if isinstance(model, onnx.ModelProto):
        out = onnx.ModelProto()
        out.CopyFrom(model)
        return out
    return onnx.load(os.fspath(model))


def _graph_inputs(model: Any) -> List[str]:
    inits = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits]


def _all_names(model: Any) -> set[str]:
    g = model.graph
    names = {v.name for v in (*g.input, *g.output, *g.value_info, *g.initializer)}
    for n in g.node:
        names.update(n.input)
        names.update(n.output)
    return names


def _with_scipix_opset(model: Any) -> None:
    from onnx import helper

    if not any(o.domain == DOMAIN for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(DOMAIN, 1))


def add_preprocessing(model: Any, op: str = "LetterboxToTensor", *,
                      model_input: Optional[str] = None, input_name: str = "image",
                      attrs: Optional[Mapping[str, Any]] = None,
                      output_path: Any = None, **more_attrs: Any) -> Any:
    """Returns ``model`` (an ``onnx.ModelProto`` or a path) with the scipix operator ``op``
    in front of its input ``model_input`` (default: the first graph input that is not an
    initializer). The new model takes ``input_name``: a uint8 ``[height, width, 3]`` image
    (``[height, width, channels]`` for ``ImageToTensor``) or, for
    ``DecodeLetterboxToTensor``, the uint8 ``[bytes]`` of a JPEG or PNG file. The letterbox
    operators' geometry (``[scale_x, scale_y, left, top, right, bottom]``) becomes an extra
    graph output named ``geometry``. ``attrs`` / keyword arguments are the operator's
    attributes (e.g. ``width=640, height=640``; see the guide, "Inside ONNX Runtime").
    The model's outputs are unchanged. Written to ``output_path`` when given.

    Raises ``ValueError`` for an unknown ``op``, a missing ``model_input`` or a name clash.
    """
    import onnx
    from onnx import compose, helper

    if op not in PREPROCESSING_OPS:
        raise ValueError(f"op must be one of {', '.join(PREPROCESSING_OPS)}, not {op!r}")
    m = _load(model)
    inputs = _graph_inputs(m)
    target = model_input if model_input is not None else (inputs[0] if inputs else None)
    if target is None or target not in inputs:
        raise ValueError(f"the model has no input {target!r} (inputs: {inputs})")
    _, shape, extra = PREPROCESSING_OPS[op]
    tensor = f"{DOMAIN}_{op}_tensor"
    names = _all_names(m)
    clash = [n for n in (input_name, tensor, *extra) if n in names]
    if clash:
        raise ValueError(f"names already used in the model: {clash}")
    all_attrs = {**(attrs or {}), **more_attrs}
    node = helper.make_node(op, [input_name], [tensor, *extra], domain=DOMAIN,
                            name=f"{DOMAIN}_{op}", **all_attrs)
    pre_graph = helper.make_graph(
        [node], f"{DOMAIN}_preprocessing",
        [helper.make_tensor_value_info(input_name, onnx.TensorProto.UINT8, shape)],
        [helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, ["n", "c", "h", "w"]),
         *[helper.make_tensor_value_info(e, onnx.TensorProto.FLOAT, [6]) for e in extra]])
    # merge_models wants equal IR versions and no conflicting opset versions: the
    # preprocessing graph takes the model's own imports plus the scipix domain.
    pre = helper.make_model(pre_graph, opset_imports=list(m.opset_import))
    pre.ir_version = m.ir_version
    _with_scipix_opset(pre)
    outputs = [o.name for o in m.graph.output]
    combined = compose.merge_models(pre, m, io_map=[(tensor, target)],
                                    outputs=[*outputs, *extra])
    # The model's outputs first, in their order, then the preprocessing extras.
    by_name = {o.name: o for o in combined.graph.output}
    ordered = [by_name[n] for n in [*outputs, *extra]]
    del combined.graph.output[:]
    combined.graph.output.extend(ordered)
    if output_path is not None:
        onnx.save(combined, os.fspath(output_path))
    return combined


def add_nms(model: Any, boxes: str, scores: str, *, classes: Optional[str] = None,
            op: str = "Nms", output_name: str = "keep",
            attrs: Optional[Mapping[str, Any]] = None, output_path: Any = None,
            **more_attrs: Any) -> Any:
    """Returns ``model`` with a scipix ``Nms`` (OpenCV ``NMSBoxes`` rule, boxes as x, y, w, h;
    attributes ``score_threshold``, ``nms_threshold``, ``eta``, ``top_k``) or ``BatchedNms``
    (torchvision's ``batched_nms`` rule, boxes as x1, y1, x2, y2, optional int64 ``classes``;
    attribute ``iou_threshold``) node reading the model's float32 ``boxes`` ``[N, 4]`` and
    ``scores`` ``[N]`` tensors, and a new int64 graph output ``output_name`` with the kept
    indices. The existing outputs stay. Written to ``output_path`` when given."""
    import onnx
    from onnx import helper

    if op not in ("Nms", "BatchedNms"):
        raise ValueError(f"op must be 'Nms' or 'BatchedNms', not {op!r}")
    if classes is not None and op != "BatchedNms":
        raise ValueError("classes need op='BatchedNms'")
    m = _load(model)
    names = _all_names(m)
    missing = [n for n in (boxes, scores, classes) if n is not None and n not in names]
    if missing:
        raise ValueError(f"the model has no tensor {missing}")
    if output_name in names:
        raise ValueError(f"the name {output_name!r} is already used in the model")
    ins = [boxes, scores] + ([classes] if classes is not None else [])
    m.graph.node.append(helper.make_node(op, ins, [output_name], domain=DOMAIN,
                                         name=f"{DOMAIN}_{op}",
                                         **{**(attrs or {}), **more_attrs}))
    m.graph.output.append(helper.make_tensor_value_info(output_name, onnx.TensorProto.INT64,
                                                        ["kept"]))
    _with_scipix_opset(m)
    if output_path is not None:
        onnx.save(m, os.fspath(output_path))
    return m
