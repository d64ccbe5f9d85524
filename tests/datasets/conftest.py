"""Fixtures of the dataset tests: the shared real samples (never copied into the repo) and small trees."""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared sample {path} is not available")
    return path


@pytest.fixture(scope="session")
def voc_sample_root() -> Path:
    """``../shared/data/voc_sample`` (contains ``VOC2012/`` with image 2007_000063, split ``sample``)."""
    return _need(SHARED_DATA / "voc_sample")


@pytest.fixture(scope="session")
def coco_mini_root() -> Path:
    """``../shared/data/coco_mini`` (79 val2017 images, 624 annotations, 80 categories)."""
    return _need(SHARED_DATA / "coco_mini")


@pytest.fixture(scope="session")
def coco_mini_json(coco_mini_root) -> Path:
    return coco_mini_root / "annotations" / "instances_val2017.json"
