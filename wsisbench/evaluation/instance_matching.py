"""Per-image mask IoUs between predictions and ground truth, reduced to what the VOC protocols and ABO need.

For every image, one RLE IoU matrix [predictions, GT] is computed (pycocotools ``mask.iou``; no dense
H x W arrays), then reduced:

- per prediction, its argmax GT among the GT instances *of its own class* (chainercv's rule: the IoU is
  rounded to float32 first, and the argmax and the threshold test use the float32 values);
- per GT instance, its best IoU (float64) with any prediction of the image and with those of its class.

Crowd ground truth (COCO ``iscrowd``) takes part in none of this: the VOC protocols have no crowd regions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from pycocotools import mask as mask_utils

from .ground_truth import InstanceGroundTruth
from .predictions import InstancePredictions


@dataclass
class ImageMatches:
    """Threshold-independent pairing of predictions with ground truth.

    Attributes:
        pred_index: int64 [N] indices into the predictions of the evaluated categories.
        best_gt: int64 [N], index into the ground-truth annotations of the argmax same-class GT, -1 if the
            image has no GT of the prediction's class.
        best_iou: float32 [N], that IoU (0 where ``best_gt`` is -1).
        gt_index: int64 [M] indices of the evaluated (non-crowd, selected category) GT annotations.
        gt_best_any: float64 [M], best IoU of each GT with any prediction of its image (0 if none).
        gt_best_same: float64 [M], the same restricted to predictions of the GT's class.
    """

    pred_index: np.ndarray
    best_gt: np.ndarray
    best_iou: np.ndarray
    gt_index: np.ndarray
    gt_best_any: np.ndarray
    gt_best_same: np.ndarray


def _groups(keys: np.ndarray) -> dict[int, np.ndarray]:
    """Indices of ``keys`` grouped by value (each group in increasing index order)."""
    if keys.size == 0:
        return {}
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    cuts = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    return {int(sorted_keys[s]): order[s:e] for s, e in zip(np.r_[0, cuts], np.r_[cuts, keys.size])}


def match_by_image(gt: InstanceGroundTruth, preds: InstancePredictions,
                   cat_ids: Sequence[int] | None = None) -> ImageMatches:
    """Pair predictions with ground truth image by image (see the module docstring).

    Args:
        gt, preds: the data; ``cat_ids`` the categories evaluated (all of ``gt`` when ``None``).
    """
    cats = np.asarray(gt.subset_categories(cat_ids), dtype=np.int64)
    gt_index = np.flatnonzero(~gt.iscrowd & np.isin(gt.category_ids, cats))
    pred_index = np.flatnonzero(np.isin(preds.category_ids, cats))
    best_gt = np.full(pred_index.size, -1, dtype=np.int64)
    best_iou = np.zeros(pred_index.size, dtype=np.float32)
    gt_best_any = np.zeros(gt_index.size, dtype=np.float64)
    gt_best_same = np.zeros(gt_index.size, dtype=np.float64)
    # positions inside pred_index / gt_index, grouped by image; ABO uses every prediction of the image
    pred_pos_by_img = _groups(preds.image_ids[pred_index])
    all_pred_by_img = _groups(preds.image_ids)
    gt_pos_by_img = _groups(gt.image_ids[gt_index])
    for img_id, gpos in gt_pos_by_img.items():
        pall = all_pred_by_img.get(img_id)
        if pall is None:
            continue
        g = gt_index[gpos]
        iou = np.asarray(mask_utils.iou([preds.rles[i] for i in pall], [gt.rles[i] for i in g],
                                        [0] * len(g)), dtype=np.float64).reshape(len(pall), len(g))
        gt_best_any[gpos] = iou.max(axis=0)
        same_all = preds.category_ids[pall][:, None] == gt.category_ids[g][None, :]
        gt_best_same[gpos] = np.where(same_all, iou, 0.0).max(axis=0)
        ppos = pred_pos_by_img.get(img_id)
        if ppos is None:
            continue
        # rows of `iou` for the evaluated predictions: pall and pred_index[ppos] are both sorted
        rows = np.searchsorted(pall, pred_index[ppos])
        iou32 = iou[rows].astype(np.float32)
        same = same_all[rows]
        masked = np.where(same, iou32, np.float32(-1.0))
        arg = masked.argmax(axis=1)
        has = same.any(axis=1)
        best_gt[ppos] = np.where(has, g[arg], -1)
        best_iou[ppos] = np.where(has, masked[np.arange(len(rows)), arg], np.float32(0.0))
    return ImageMatches(pred_index, best_gt, best_iou, gt_index, gt_best_any, gt_best_same)
