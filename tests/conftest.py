import shutil
from pathlib import Path

import numpy as np
import pytest

import simroute as sr

ROOT = Path(__file__).resolve().parent.parent
REQUEST_1 = "Build a FastAPI endpoint with MongoDB, Keycloak auth, and deploy to K8s"
REQUEST_2 = "React component with accessibility"


@pytest.fixture(scope="session")
def catalog():
    return sr.load_catalog()


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def catalog_copy(tmp_path):
    """A writable copy of the bundled catalog directory."""
    dst = tmp_path / "catalog"
    shutil.copytree(sr.catalog.data_dir() / "catalog", dst)
    return dst


def littles_law(requests):
    """(time-average number of requests in the system, sampled at random instants; λ × W) from a
    requests table: Little's law says they are equal."""
    end = requests.end.max()
    lam, w = len(requests) / end, requests.latency.mean()
    t = np.random.default_rng(0).uniform(0, end, 20000)
    arrivals, ends = np.sort(requests.arrival.to_numpy()), np.sort(requests.end.to_numpy())
    in_system = np.searchsorted(arrivals, t, "right") - np.searchsorted(ends, t, "right")
    return in_system.mean(), lam * w
