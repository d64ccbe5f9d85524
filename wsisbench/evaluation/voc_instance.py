"""PASCAL VOC instance segmentation mAP^r: protocols ``voc`` (all-point AP) and ``voc07`` (11-point AP).

The rules of chainercv's ``eval_instance_segmentation_voc`` (evaluation-protocols.md section 1):

- each prediction's argmax-IoU GT among the GT of its class in its image (float32 IoU); it matches if that
  IoU >= the threshold (float32 comparison, so IoU 0.5 at 0.5 and 7/10 at 0.7 both match);
- the first prediction in score order to claim a GT is a true positive; a later one with the same argmax GT
  is a false positive, with no fallback to its second-best GT; a prediction with no GT of its class in the
  image is a false positive;
- per class, all predictions over the dataset sorted by score give precision/recall; AP all-point (``voc``)
  or 11-point (``voc07``); a class without GT anywhere is NaN (even with predictions), a class with GT and no
  predictions is 0; mAP is the nanmean over classes.

Ties in score keep the input order (chainercv's unstable sort leaves them arbitrary); use distinct scores
when comparing with chainercv.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .average_precision import precision_recall, voc_ap_11_point, voc_ap_all_point
from .coco_mask import threshold_key
from .ground_truth import InstanceGroundTruth
from .instance_matching import ImageMatches, match_by_image
from .predictions import InstancePredictions

#: the thresholds reported for VOC 2012 mAP^r
VOC_IOU_THRESHOLDS: tuple[float, ...] = (0.25, 0.5, 0.7, 0.75)

#: AP function of each protocol
AP_FUNCTIONS = {"voc": voc_ap_all_point, "voc07": voc_ap_11_point}


def true_positives(matches: ImageMatches, scores: np.ndarray, iou_thr: float) -> np.ndarray:
    """bool [N]: which of ``matches.pred_index`` are true positives at ``iou_thr`` (chainercv rule).

    ``scores`` [N] are the scores of those predictions.
    """
    n = matches.pred_index.size
    tp = np.zeros(n, dtype=bool)
    if n == 0:
        return tp
    order = np.argsort(-scores, kind="stable")
    cand = (matches.best_gt >= 0) & (matches.best_iou >= np.float32(iou_thr))
    ranked = order[cand[order]]  # candidates in score order
    _, first = np.unique(matches.best_gt[ranked], return_index=True)
    tp[ranked[first]] = True  # the first claim of each GT; later claims stay false positives
    return tp


def evaluate_voc_instance(gt: InstanceGroundTruth, preds: InstancePredictions,
                          iou_thrs: Sequence[float] = VOC_IOU_THRESHOLDS, protocol: str = "voc",
                          cat_ids: Sequence[int] | None = None,
                          matches: ImageMatches | None = None) -> dict[str, Any]:
    """mAP^r and per-class AP at each threshold.

    Args:
        gt, preds: ground truth and checked predictions.
        iou_thrs: IoU thresholds.
        protocol: ``"voc"`` (all-point) or ``"voc07"`` (11-point).
        cat_ids: categories to evaluate (default all); predictions of other categories are ignored.
        matches: a precomputed :func:`match_by_image` result for the same ``cat_ids``.

    Returns:
        ``{"metrics": {"mAP@<t>": float}, "per_class": {"AP@<t>": {name: float}}, "num_gt": {name: int}}``
        (fractions, NaN for undefined).
    """
    if protocol not in AP_FUNCTIONS:
        raise ValueError(f"protocol must be one of {sorted(AP_FUNCTIONS)}, got {protocol!r}")
    ap_fn = AP_FUNCTIONS[protocol]
    cats = gt.subset_categories(cat_ids)
    names = gt.category_names
    if matches is None:
        matches = match_by_image(gt, preds, cats)
    scores = preds.scores[matches.pred_index]
    pred_cats = preds.category_ids[matches.pred_index]
    gt_cats = gt.category_ids[matches.gt_index]
    n_pos = {c: int(np.count_nonzero(gt_cats == c)) for c in cats}
    by_cat = {c: np.flatnonzero(pred_cats == c) for c in cats}
    metrics: dict[str, float] = {}
    per_class: dict[str, dict[str, float]] = {}
    for t in iou_thrs:
        tp = true_positives(matches, scores, t)
        aps = {}
        for c in cats:
            if n_pos[c] == 0:
                aps[names[c]] = float("nan")
                continue
            sel = by_cat[c]
            prec, rec = precision_recall(scores[sel], tp[sel], n_pos[c])
            aps[names[c]] = ap_fn(prec, rec)
        values = np.array(list(aps.values()), dtype=np.float64)
        finite = values[~np.isnan(values)]
        key = threshold_key(t)
        metrics[f"mAP@{key}"] = float(finite.mean()) if finite.size else float("nan")
        per_class[f"AP@{key}"] = aps
    return {"metrics": metrics, "per_class": per_class, "num_gt": {names[c]: n_pos[c] for c in cats}}
