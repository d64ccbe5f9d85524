"""Writes scenes as COCO instance annotations: ``<root>/annotations/instances_<split>.json``.

- ``images``: ``id`` (1-based position in the split), ``file_name`` ``<id>.jpg`` relative to
  ``VOC2012/JPEGImages``, ``width``, ``height``
- ``categories``: ids 1..K in class order, ``name``, ``supercategory`` "shape"
- ``annotations``: ``id`` (1-based, unique in the file), ``image_id``, ``category_id``, ``segmentation``
  (compressed RLE from ``pycocotools.mask.encode``, ``counts`` as str), ``area`` (pixels of the RLE),
  ``bbox`` [x, y, w, h] floats (``pycocotools.mask.toBbox``), ``iscrowd`` 0

The masks are the visible instance masks *without* the void band, i.e. ``SegmentationObject`` with the
band pixels given back to the instance they belong to.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
from pycocotools import mask as mask_utils

from .scene import Scene


class CocoWriter:
    """Collects one split's images with :meth:`add`; :meth:`finish` writes the json."""

    def __init__(self, root: Path, split: str, class_names: Sequence[str]):
        self.path = Path(root) / "annotations" / f"instances_{split}.json"
        self.categories = [{"id": i, "name": name, "supercategory": "shape"}
                           for i, name in enumerate(class_names, start=1)]
        self.images: list[dict] = []
        self.annotations: list[dict] = []

    def add(self, image_id: str, scene: Scene) -> None:
        h, w = scene.image.shape[:2]
        coco_image_id = len(self.images) + 1
        self.images.append({"id": coco_image_id, "file_name": f"{image_id}.jpg", "width": w, "height": h})
        for inst in scene.instances:
            rle = mask_utils.encode(np.asfortranarray(inst.mask.astype(np.uint8)))
            self.annotations.append({
                "id": len(self.annotations) + 1,
                "image_id": coco_image_id,
                "category_id": inst.label,
                "segmentation": {"size": [h, w], "counts": rle["counts"].decode("ascii")},
                "area": float(mask_utils.area(rle)),
                "bbox": [float(x) for x in mask_utils.toBbox(rle)],
                "iscrowd": 0,
            })

    def finish(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "info": {"description": "wsisbench embedded synthetic benchmark"},
            "licenses": [],
            "images": self.images,
            "annotations": self.annotations,
            "categories": self.categories,
        }
        self.path.write_text(json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n")
        return self.path
