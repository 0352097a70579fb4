"""Objects wrapping a C handle refuse pickle and copy with a message saying what to do."""
import copy
import pickle
from typing import Any, Callable, List, Tuple

import numpy as np
import pytest

import scipix
from scipix import quant


def _handles(tmp_path: Any) -> List[Tuple[str, Callable[[], Any]]]:
    st = str(tmp_path / "w.safetensors")
    gg = str(tmp_path / "w.gguf")
    scipix.write_safetensors(st, {"w": np.arange(4, dtype=np.float32)})
    with scipix.GgufWriter() as w:
        w.add_tensor("w", np.arange(4, dtype=np.float32))
        w.write(gg)
    return [
        ("Safetensors", lambda: scipix.Safetensors(st)),
        ("Model", lambda: scipix.Model(st)),
        ("Gguf", lambda: scipix.Gguf(gg)),
        ("GgufWriter", scipix.GgufWriter),
        ("Resizer", lambda: scipix.Resizer((8, 6), (4, 3))),
        ("Batcher", lambda: scipix.Batcher(max_batch_size=2)),
        ("QTensor", lambda: quant.QTensor(np.arange(8, dtype=np.float32))),
        ("Calibrator", quant.Calibrator),
    ]


@pytest.mark.parametrize("index", range(8))
def test_handles_refuse_pickle_and_copy(tmp_path: Any, index: int) -> None:
    name, make = _handles(tmp_path)[index]
    obj = make()
    assert type(obj).__name__ == name
    for dump in (pickle.dumps, lambda o: pickle.dumps(o, protocol=0), copy.copy,
                 copy.deepcopy):
        with pytest.raises(TypeError) as e:
            dump(obj)
        msg = str(e.value)
        assert f"scipix.{name} wraps a C handle" in msg
        assert "open it in each worker process" in msg
        assert "pass the path" in msg
    with pytest.raises(TypeError, match="cannot be pickled"):
        obj.__getstate__()
    # the object still works after the refusal
    if name == "Safetensors":
        assert obj["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    if hasattr(obj, "close"):
        obj.close()


def test_arrays_from_handles_pickle_as_copies(tmp_path: Any) -> None:
    st = str(tmp_path / "w.safetensors")
    scipix.write_safetensors(st, {"w": np.arange(5, dtype=np.int32)})
    with scipix.Safetensors(st) as f:
        view = f["w"]
    back = pickle.loads(pickle.dumps(view))
    assert back.tolist() == [0, 1, 2, 3, 4]
    assert back.dtype == np.int32
