"""Fixtures of the dataset tests: the shared real samples (never copied into the repo) and small trees."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from wsisbench.datasets.png import write_label_png


@pytest.fixture(scope="session")
def voc_sample_root(shared_data) -> Path:
    """``../shared/data/voc_sample`` (contains ``VOC2012/`` with image 2007_000063, split ``sample``)."""
    return shared_data / "voc_sample"


@pytest.fixture(scope="session")
def coco_mini_root(shared_data) -> Path:
    """``../shared/data/coco_mini`` (79 val2017 images, 624 annotations, 80 categories)."""
    return shared_data / "coco_mini"


@pytest.fixture(scope="session")
def coco_mini_json(coco_mini_root) -> Path:
    return coco_mini_root / "annotations" / "instances_val2017.json"


def _write_voc_tree(root, ids_train, ids_val, sbd_only):
    """A tiny VOC2012 + SBD tree: VOC PNG ground truth for train/val ids, SBD .mat files for all."""
    voc, sbd = root / "VOC2012", root / "SBD"
    for sub in ("JPEGImages", "SegmentationClass", "SegmentationObject", "ImageSets/Segmentation"):
        (voc / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("cls", "inst"):
        (sbd / sub).mkdir(parents=True, exist_ok=True)
    for n, img_id in enumerate(ids_train + ids_val + sbd_only):
        Image.new("RGB", (8, 6), (n * 20, 50, 90)).save(voc / "JPEGImages" / f"{img_id}.jpg")
        cls = np.zeros((6, 8), np.uint8)
        obj = np.zeros((6, 8), np.uint8)
        cls[1:3, 1:3], obj[1:3, 1:3] = 1 + n % 20, 1
        if img_id in ids_train + ids_val:
            cls_v, obj_v = cls.copy(), obj.copy()
            cls_v[3, :], obj_v[3, :] = 255, 255
            write_label_png(voc / "SegmentationClass" / f"{img_id}.png", cls_v)
            write_label_png(voc / "SegmentationObject" / f"{img_id}.png", obj_v)
        savemat(sbd / "cls" / f"{img_id}.mat", {"GTcls": {"Segmentation": cls, "CategoriesPresent": [1 + n % 20]}})
        savemat(sbd / "inst" / f"{img_id}.mat", {"GTinst": {"Segmentation": obj, "Categories": [1 + n % 20]}})
    (voc / "ImageSets/Segmentation/train.txt").write_text("\n".join(ids_train) + "\n")
    (voc / "ImageSets/Segmentation/val.txt").write_text("\n".join(ids_val) + "\n")
    (sbd / "train.txt").write_text("\n".join(sbd_only[:2] + ids_val[:1]) + "\n")
    (sbd / "val.txt").write_text("\n".join(sbd_only[2:] + ids_train[:1]) + "\n")
    return voc


@pytest.fixture()
def make_voc_tree():
    """``make_voc_tree(root, train_ids, val_ids, sbd_only_ids) -> VOC2012 path``: a tiny VOC + SBD tree
    (8x6 images, one object each; VOC PNGs with a void row for train/val ids, SBD .mat files for all)."""
    return _write_voc_tree
