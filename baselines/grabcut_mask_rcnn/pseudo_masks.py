"""Training masks made by GrabCut from ground-truth boxes (the 'Mask R-CNN trained w/ GrabCut' baseline).

Reads a COCO instances json, replaces the ``segmentation`` (and ``area``) of every non-crowd annotation of
the chosen categories with GrabCut's foreground inside its box, and writes a new json; boxes, labels and
the other annotations are unchanged. Images are split across ranks; the main rank merges.
"""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Iterable

import mmcv
import numpy as np

from wsisbench.datasets.rle import encode_mask, json_rle
from wsisbench.errors import DataError
from wsisbench.localization import grabcut_in_box
from wsisbench.utils.progress import progress


def grabcut_annotation_masks(images: list[dict], anns_by_image: dict[int, list[dict]], img_dir: str | os.PathLike,
                             category_ids: set[int] | None, grabcut_cfg: dict,
                             show: bool = True) -> dict[int, dict]:
    """``{annotation id: {'segmentation': RLE, 'area': float}}`` for the annotations to replace.

    Args:
        images: COCO ``images`` records to process (``id``, ``file_name``).
        anns_by_image: image id -> its annotations.
        img_dir: folder of the ``file_name``s.
        category_ids: categories whose masks are replaced (None: all).
        grabcut_cfg: :func:`grabcut_in_box` keyword arguments (``iters``, ``margin``, ...).
    """
    out: dict[int, dict] = {}
    for im in progress(images, desc="GrabCut masks", disable=not show):
        anns = [a for a in anns_by_image.get(im["id"], []) if not a.get("iscrowd", 0)
                and (category_ids is None or a["category_id"] in category_ids)]
        if not anns:
            continue
        path = Path(img_dir) / im["file_name"]
        image = mmcv.imread(str(path))
        if image is None:
            raise DataError(f"{path}: cannot read the image")
        for a in anns:
            x, y, w, h = a["bbox"]
            mask = grabcut_in_box(image, [x, y, x + w, y + h], **grabcut_cfg)
            out[int(a["id"])] = {"segmentation": json_rle(encode_mask(mask)), "area": float(np.count_nonzero(mask))}
    return out


def replace_masks(dataset: dict, masks: dict[int, dict]) -> dict:
    """A copy of the COCO ``dataset`` dict whose annotations listed in ``masks`` carry the new masks."""
    new = copy.copy(dataset)
    new["annotations"] = [dict(a, **masks[a["id"]]) if a["id"] in masks else a for a in dataset["annotations"]]
    return new


def load_coco(path: str | os.PathLike) -> dict:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read the COCO json ({e})") from None


def group_by_image(annotations: Iterable[dict]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for a in annotations:
        out.setdefault(a["image_id"], []).append(a)
    return out
