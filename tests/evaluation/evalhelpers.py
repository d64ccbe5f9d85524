"""Builders shared by the evaluator tests: small masks, random COCO-style datasets, pycocotools runs."""
from __future__ import annotations

import contextlib
import copy
import io
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from wsisbench.evaluation.ground_truth import GtImage, InstanceGroundTruth
from wsisbench.evaluation.masks import encode_mask, json_rle, rle_areas
from wsisbench.evaluation.predictions import InstancePredictions

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"


def interval_mask(a: int, b: int, height: int = 4, width: int = 100) -> np.ndarray:
    """bool [H, W] with columns [a, b) set (the spec's test-vector masks)."""
    m = np.zeros((height, width), dtype=bool)
    m[:, a:b] = True
    return m


def make_gt(sizes, anns, names=("a", "b", "c"), layout="voc") -> InstanceGroundTruth:
    """Ground truth from dense masks; ``anns`` = [(image index 0.., category id 1.., mask, crowd)]."""
    images = [GtImage(i + 1, f"img{i}", h, w) for i, (h, w) in enumerate(sizes)]
    rles = [encode_mask(m) for _, _, m, _ in anns]
    return InstanceGroundTruth(
        images, [{"id": i + 1, "name": n} for i, n in enumerate(names)],
        np.array([i + 1 for i, _, _, _ in anns], dtype=np.int64).reshape(-1),
        np.array([c for _, c, _, _ in anns], dtype=np.int64).reshape(-1), rles,
        rle_areas(rles).astype(float), np.array([bool(k) for *_, k in anns], dtype=bool).reshape(-1),
        source="test", layout=layout)


def make_preds(records) -> InstancePredictions:
    """Predictions from dense masks; ``records`` = [(image index 0.., category id, mask, score)]."""
    rles = [encode_mask(m) for _, _, m, _ in records]
    return InstancePredictions(np.array([i + 1 for i, *_ in records], dtype=np.int64).reshape(-1),
                               np.array([c for _, c, _, _ in records], dtype=np.int64).reshape(-1),
                               np.array([s for *_, s in records], dtype=np.float64).reshape(-1), rles,
                               rle_areas(rles), "test")


def _blob(rng, h, w) -> np.ndarray:
    """A random ellipse-ish blob (bool [h, w]), possibly touching the border."""
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    ry, rx = rng.uniform(2, max(3, h / 2)), rng.uniform(2, max(3, w / 2))
    yy, xx = np.mgrid[:h, :w]
    m = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    if rng.random() < 0.3:
        m &= rng.random((h, w)) < 0.85
    if not m.any():
        m[int(cy) % h, int(cx) % w] = True
    return m


def _perturb(rng, m) -> np.ndarray:
    dy, dx = rng.integers(-3, 4, 2)
    out = np.roll(np.roll(m, dy, 0), dx, 1)
    if rng.random() < 0.5:
        out |= np.roll(out, 1, 1)
    return out


def random_coco_dataset(seed: int, num_images: int = 300, num_cats: int = 8, ties: bool = False,
                        crowd: bool = True, cat_ids=None, area_noise: bool = True):
    """A random COCO ground-truth dict (json-ready) and results list (compressed RLE str counts).

    Images of 20-70 px; 0-6 GT per image (about 1 in 12 crowd), empty images, predictions perturbed from
    GT, with wrong classes and false positives; one image with more than 100 predictions of a class.
    ``ties`` rounds scores to 0.1 (many ties), else scores are distinct. ``area_noise`` makes some GT json
    areas differ from the mask area (pycocotools uses the json area).
    """
    rng = np.random.default_rng(seed)
    cat_ids = list(cat_ids) if cat_ids is not None else list(range(1, num_cats + 1))
    images, anns, results = [], [], []
    scores_used = set()

    def score():
        if ties:
            return float(np.round(rng.random(), 1))
        while True:
            s = float(rng.random())
            if s not in scores_used:
                scores_used.add(s)
                return s

    for i in range(num_images):
        h, w = (int(v) for v in rng.integers(20, 70, 2))
        img_id = int(1000 + 7 * i)
        images.append({"id": img_id, "height": h, "width": w, "file_name": f"{img_id:06d}.jpg"})
        kind = rng.random()
        n_gt = 0 if kind < 0.1 else int(rng.integers(1, 7))
        for _ in range(n_gt):
            m = _blob(rng, h, w)
            cat = int(rng.choice(cat_ids))
            is_crowd = crowd and rng.random() < 0.08
            area = float(m.sum()) * (rng.uniform(0.5, 2.0) if area_noise and rng.random() < 0.2 else 1.0)
            rle = json_rle(encode_mask(m))
            if not is_crowd and rng.random() < 0.3:  # some GT as uncompressed RLE
                rle = {"size": [h, w], "counts": _uncompressed(m)}
            anns.append({"id": len(anns) + 1, "image_id": img_id, "category_id": cat, "segmentation": rle,
                         "area": area, "iscrowd": int(is_crowd), "bbox": [0, 0, 1, 1]})
            if kind < 0.15 or rng.random() < 0.15:
                continue  # a missed GT (and some images without predictions)
            for _ in range(int(rng.integers(1, 3))):
                pc = cat if rng.random() < 0.85 else int(rng.choice(cat_ids))
                results.append({"image_id": img_id, "category_id": pc,
                                "segmentation": json_rle(encode_mask(_perturb(rng, m))), "score": score()})
        if kind >= 0.1:
            for _ in range(int(rng.integers(0, 4))):
                results.append({"image_id": img_id, "category_id": int(rng.choice(cat_ids)),
                                "segmentation": json_rle(encode_mask(_blob(rng, h, w))), "score": score()})
    # one image with > 100 predictions of one class (maxDets truncation)
    img = images[-1]
    for _ in range(110):
        results.append({"image_id": img["id"], "category_id": cat_ids[0],
                        "segmentation": json_rle(encode_mask(_blob(rng, img["height"], img["width"]))),
                        "score": score()})
    cats = [{"id": c, "name": f"cat{c}"} for c in cat_ids]
    return {"images": images, "annotations": anns, "categories": cats}, results


def _uncompressed(m: np.ndarray) -> list[int]:
    """Uncompressed COCO RLE counts of a mask (column-major runs, starting with zeros)."""
    flat = np.asarray(m, dtype=np.uint8).flatten(order="F")
    bounds = np.r_[0, np.flatnonzero(np.diff(flat)) + 1, flat.size]
    runs = np.diff(bounds).tolist()
    return ([0] + runs) if flat[0] == 1 else runs


def pycocotools_eval(gt_dict, results, cat_ids=None, iou_thrs=None, area_all_only=False, max_dets=None):
    """Reference: pycocotools COCOeval('segm') on deep copies; returns the evaluated object (summarized)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt_dict)
        coco_gt.createIndex()
        if results:
            coco_dt = coco_gt.loadRes(copy.deepcopy(results))
        else:
            coco_dt = COCO()
            coco_dt.dataset = {"images": copy.deepcopy(gt_dict["images"]), "annotations": [],
                               "categories": copy.deepcopy(gt_dict["categories"])}
            coco_dt.createIndex()
        ev = COCOeval(coco_gt, coco_dt, "segm")
        if cat_ids is not None:
            ev.params.catIds = sorted(cat_ids)
        if iou_thrs is not None:
            ev.params.iouThrs = np.asarray(iou_thrs, dtype=np.float64)
        if area_all_only:
            ev.params.areaRng = [[0 ** 2, 1e5 ** 2]]
            ev.params.areaRngLbl = ["all"]
        if max_dets is not None:
            ev.params.maxDets = list(max_dets)
        ev.evaluate()
        ev.accumulate()
        if not area_all_only and max_dets is None:
            ev.summarize()
    return ev


def reference_per_class_ap(ev, iou_index=None) -> np.ndarray:
    """Per-category AP from a pycocotools eval: mean of precision > -1 at area all, last maxDets."""
    p = ev.eval["precision"]
    out = []
    for k in range(p.shape[2]):
        s = p[:, :, k, 0, -1] if iou_index is None else p[iou_index, :, k, 0, -1]
        s = s[s > -1]
        out.append(np.mean(s) if s.size else np.nan)
    return np.array(out)


def decode(rle) -> np.ndarray:
    r = dict(rle)
    if isinstance(r["counts"], str):
        r["counts"] = r["counts"].encode()
    if isinstance(r["counts"], list):
        r = mask_utils.frPyObjects(r, *r["size"])
    return mask_utils.decode(r).astype(bool)
