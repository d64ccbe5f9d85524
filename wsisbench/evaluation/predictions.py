"""Predictions to score: a COCO results json (instances) or a folder of PNG label maps (semantic).

Instance predictions (COCO results format, a json list; an empty list is valid)::

    {"image_id": 397133 | "2007_000033", "category_id": 1, "segmentation": {"size": [H, W], "counts": "..."},
     "score": 0.93}

``image_id`` is the ground truth's int id, or (for any ground truth) the image's name: the VOC id or the
file-name stem. ``segmentation`` may also be uncompressed RLE or polygons. A ``bbox`` is dropped
(pycocotools would otherwise use the box area for the area ranges). Every record is checked, and a bad one
raises :class:`DataError` naming the record: unknown image or category, missing fields, a score that is not
a finite number >= 0, a mask whose size differs from its image, malformed RLE.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from wsisbench.errors import DataError

from .ground_truth import InstanceGroundTruth
from .masks import RleDecodeError, json_rle, rle_areas, to_compressed_rle


@dataclass
class InstancePredictions:
    """Scored instance masks, aligned arrays of length N.

    Attributes:
        image_ids, category_ids: int64 [N] (the ground truth's ids).
        scores: float64 [N].
        rles: N compressed RLEs (bytes counts).
        areas: int64 [N], mask areas in pixels.
        source: where they came from (for messages).
    """

    image_ids: np.ndarray
    category_ids: np.ndarray
    scores: np.ndarray
    rles: list[dict[str, Any]]
    areas: np.ndarray
    source: str = ""

    def __len__(self) -> int:
        return len(self.rles)

    def to_coco_results(self, with_area: bool = False) -> list[dict[str, Any]]:
        """COCO results records (RLE counts bytes; ``area`` and ``iscrowd`` when ``with_area``)."""
        columns = zip(self.image_ids.tolist(), self.category_ids.tolist(), self.rles, self.scores.tolist(),
                      self.areas.tolist())
        if with_area:
            return [{"image_id": i, "category_id": c, "segmentation": r, "score": s, "area": float(a), "iscrowd": 0}
                    for i, c, r, s, a in columns]
        return [{"image_id": i, "category_id": c, "segmentation": r, "score": s} for i, c, r, s, _ in columns]

    def to_json(self) -> list[dict[str, Any]]:
        """COCO results records with str counts (to write as a file)."""
        return [dict(r, segmentation=json_rle(r["segmentation"])) for r in self.to_coco_results()]

    @classmethod
    def empty(cls, source: str = "") -> "InstancePredictions":
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z.copy(), np.zeros(0), [], z.copy(), source)


def _read_json(path: str | os.PathLike, what: str) -> Any:
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise DataError(f"{path}: {what} file is missing") from None
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read {what} json ({e})") from None


def load_instance_predictions(source: str | os.PathLike | Sequence[dict], gt: InstanceGroundTruth,
                              ) -> InstancePredictions:
    """Read and check instance predictions against ``gt``.

    Args:
        source: a COCO results json path, or the list of records itself.
        gt: the ground truth the predictions are for (ids, categories, image sizes).
    """
    if isinstance(source, (str, os.PathLike)):
        name = str(source)
        records = _read_json(source, "predictions")
    else:
        name, records = "<predictions>", source
    if isinstance(records, dict) and "annotations" in records:
        raise DataError(f"{name}: looks like a COCO dataset file; predictions are a json list of "
                        f"{{image_id, category_id, segmentation, score}} records")
    if not isinstance(records, list):
        raise DataError(f"{name}: predictions must be a json list of records, got {type(records).__name__}")
    n = len(records)
    image_ids = np.zeros(n, dtype=np.int64)
    category_ids = np.zeros(n, dtype=np.int64)
    scores = np.zeros(n, dtype=np.float64)
    rles: list[dict[str, Any]] = []
    cats = set(gt.category_names)
    sizes: dict[int, list[int]] = {}
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise DataError(f"{name}: record #{i}: not an object")
        where = f"{name}: record #{i} (image_id {rec.get('image_id')!r})"
        for key in ("image_id", "category_id", "segmentation", "score"):
            if key not in rec:
                raise DataError(f"{where}: missing '{key}'")
        img_id = gt.resolve_image_id(rec["image_id"])
        if img_id is None:
            raise DataError(f"{where}: unknown image_id {rec['image_id']!r} (not in the ground truth {gt.source})")
        cat = rec["category_id"]
        if isinstance(cat, bool) or not isinstance(cat, (int, np.integer)) or int(cat) not in cats:
            raise DataError(f"{where}: unknown category_id {cat!r} (valid: {sorted(cats)})")
        score = rec["score"]
        if isinstance(score, bool) or not isinstance(score, (int, float, np.number)):
            raise DataError(f"{where}: score must be a number, got {score!r}")
        score = float(score)
        if not math.isfinite(score) or score < 0:
            raise DataError(f"{where}: score {score!r} is not a finite number >= 0")
        size = sizes.get(img_id)
        if size is None:
            img = gt.image(img_id)
            size = sizes[img_id] = [img.height, img.width]
        seg = rec["segmentation"]
        counts = seg.get("counts") if type(seg) is dict else None
        if type(counts) is str and counts.isascii() and seg.get("size") == size:  # the common case, fast
            rles.append({"size": size, "counts": counts.encode("ascii")})
        else:
            rles.append(to_compressed_rle(seg, size[0], size[1], where))
        image_ids[i], category_ids[i], scores[i] = img_id, int(cat), score
    try:
        areas = rle_areas(rles)
    except RleDecodeError as e:
        rec = records[e.index]
        raise DataError(f"{name}: record #{e.index} (image_id {rec.get('image_id')!r}): malformed RLE "
                        f"({e.problem})") from None
    return InstancePredictions(image_ids, category_ids, scores, rles, areas, source=name)


def semantic_prediction_path(pred_dir: str | os.PathLike, name: str) -> Path:
    """``<pred_dir>/<name>.png`` (the name is an image id, e.g. a VOC id)."""
    return Path(pred_dir) / f"{name}.png"


def iter_semantic_pairs(gt_paths: Sequence[tuple[str, Path]], pred_dir: str | os.PathLike,
                        ) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """Yield ``(name, gt uint8 [H, W], pred uint8 [H, W])`` for each ``(name, gt_png)``.

    Raises:
        DataError: the prediction folder is missing, lacks a PNG for an image, or holds an RGB PNG.
    """
    from .ground_truth import read_label_png

    pred_dir = Path(pred_dir)
    if not pred_dir.is_dir():
        raise DataError(f"{pred_dir}: prediction folder is missing")
    missing = [n for n, _ in gt_paths if not semantic_prediction_path(pred_dir, n).is_file()]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DataError(f"{pred_dir}: no prediction PNG for {len(missing)} of {len(gt_paths)} images ({shown})")
    for name, gt_path in gt_paths:
        yield name, read_label_png(gt_path), read_label_png(semantic_prediction_path(pred_dir, name))
