"""Fixtures for the Ray tests: a simulated 2-node cluster per test module (1 CPU a node, the
machine has 2 cores), the synthetic image set and the detector split into graph + weights.

Run with ``python3 -m pytest -q tests/ray``. The cluster's workers inherit this process's
environment (PYTHONPATH included), so they import the same scipix as the tests."""
import os
import sys
import time
from typing import Any, Dict, Iterator, List, Tuple

import pytest

# Ray Data 2.60 starts a usage-metrics thread in the driver on the first execution and never
# stops it; when it polls while ray.shutdown() is tearing the core worker down, Ray ends the
# whole process with exit code 1 ("The core worker has already been shutdown ... The process
# will exit"), after tests that passed. The tests shut Ray down and start it again between
# modules, so the collection is turned off before Ray is imported (the cluster's workers
# inherit it). test_ray_core checks that the thread is absent.
os.environ["RAY_DATA_USAGE_DISABLED"] = "1"

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "examples", "python")
sys.path.insert(0, EXAMPLES)

import ray  # noqa: E402
import ray_pipeline  # noqa: E402
from ray import cloudpickle  # noqa: E402

# The workers cannot import the example module: its functions travel by value.
cloudpickle.register_pickle_by_value(ray_pipeline)

IMAGES = int(os.environ.get("SCIPIX_RAY_TEST_IMAGES", "96"))
SIDE = 128


def pytest_configure(config: Any) -> None:
    config._scipix_ray_t0 = time.perf_counter()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    t0 = getattr(terminalreporter.config, "_scipix_ray_t0", None)
    if t0 is not None:
        terminalreporter.write_line(f"tests/ray wall time: {time.perf_counter() - t0:.1f} s")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    """A ``ray.cluster_utils.Cluster`` of two nodes with 1 CPU each, connected; shut down
    (driver and every node) when the module's tests are done."""
    ray.data.DataContext.get_current().enable_progress_bars = False
    cluster = ray_pipeline.start_cluster(nodes=2, node_cpus=1)
    try:
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


@pytest.fixture(scope="session")
def image_dir(tmp_path_factory: Any) -> str:
    """``IMAGES`` synthetic JPEG/PNG scenes (every 4th a PNG, four frame sizes)."""
    d = str(tmp_path_factory.mktemp("images"))
    ray_pipeline.generate(d, IMAGES)
    return d


@pytest.fixture(scope="session")
def det_model(tmp_path_factory: Any) -> Tuple[str, str]:
    """(graph, weights) of RapidOCR's PP-OCRv4 detector split by split_onnx_weights."""
    return ray_pipeline.split_model(str(tmp_path_factory.mktemp("model")))


_REFERENCE: Dict[str, List[Dict[str, Any]]] = {}


def reference(directory: str) -> List[Dict[str, Any]]:
    """The plain single-process loop over every file in ``directory`` (cached)."""
    if directory not in _REFERENCE:
        paths = [os.path.join(directory, f) for f in os.listdir(directory)]
        _REFERENCE[directory] = ray_pipeline.reference(paths, SIDE)
    return _REFERENCE[directory]
