"""Session-wide test settings: a private cache for generated benchmarks, and the shared real samples."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()

# Generated benchmarks go to a fresh cache per test session, never to the user's ~/.cache.
os.environ["WSISBENCH_HOME"] = os.environ.get("WSISBENCH_TEST_HOME") or tempfile.mkdtemp(prefix="wsisbench-home-")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repository (real COCO and VOC samples, read-only)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is not available")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
