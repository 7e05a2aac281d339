"""Shared fixtures. Every test runs with GENLAB_HOME in a temporary folder, so the user's own checkpoints and
caches are neither read nor written."""
import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="also run the slow browser journeys (marked slow)")


def pytest_collection_modifyitems(config, items):
    """Slow browser journeys run with --slow (or GENLAB_SLOW=1); CI runs the representative rest (README, Test)."""
    if config.getoption("--slow") or os.environ.get("GENLAB_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="a slow browser journey: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    home = Path(config.rootpath if hasattr(config, "rootpath") else ROOT) / ".pytest_cache" / "genlab_home"
    if os.environ.get("PYTEST_XDIST_WORKER"):  # pytest -n N: each worker its own caches, never half-written ones
        home = home / os.environ["PYTEST_XDIST_WORKER"]
    os.environ["GENLAB_HOME"] = str(home)
    os.environ.setdefault("GENLAB_WORKER_THREADS", "1")  # a page test's worker trains beside the test process
    os.environ.setdefault("GENLAB_DEVICE", "cpu")
    os.environ.setdefault("GENLAB_WARM_REVEALS", "0")  # servers under test leave the reveals to be kept when shown
    # One torch thread per test process when pytest-xdist runs several (pytest.ini: two): two processes with two
    # threads each on two cores thrash each other.
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    torch.set_num_threads(max(1, min(2, (os.cpu_count() or 1) // workers)))
    scan_installed_components_once()


def scan_installed_components_once() -> None:
    """AppTest looks through every installed package's metadata for Streamlit components on every run (0.4 s of
    email-header parsing here, as much as a page's own run); the installed packages do not change during a test
    session, so the first scan's answer serves every later run. (A server scans once, at start.)"""
    import functools

    from streamlit.components.v2 import manifest_scanner
    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


@pytest.fixture
def genlab_home(tmp_path, monkeypatch):
    """A fresh, empty GENLAB_HOME for one test (and the job worker a page's training started there, stopped after)."""
    monkeypatch.setenv("GENLAB_HOME", str(tmp_path / "home"))
    yield tmp_path / "home"
    from gen_core.jobs import stop_worker
    stop_worker()


@pytest.fixture
def home(genlab_home, monkeypatch):
    """A fresh GENLAB_HOME, made, and no download ever tried (the bad-input tests)."""
    monkeypatch.setenv("GENLAB_OFFLINE", "1")
    genlab_home.mkdir(parents=True, exist_ok=True)
    return genlab_home


@pytest.fixture(scope="session")
def python():
    return sys.executable
