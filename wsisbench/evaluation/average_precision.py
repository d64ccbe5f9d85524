"""Average precision from a precision/recall curve: VOC all-point, VOC 11-point, COCO 101-point.

All take ``prec`` and ``rec`` as float arrays [N] over the detections of one class sorted by descending
score (``prec = tp / (tp + fp)``, ``rec = tp / n_pos``), as in evaluation-protocols.md section 1.
"""
from __future__ import annotations

import numpy as np

#: VOC 2007's 11 recall thresholds, exactly ``numpy.arange(0., 1.1, 0.1)`` (0.30000000000000004, ...).
VOC07_RECALL_THRESHOLDS = np.arange(0.0, 1.1, 0.1)

#: COCO's 101 recall thresholds (pycocotools ``Params.recThrs``).
COCO_RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)


def precision_recall(scores: np.ndarray, is_tp: np.ndarray, n_pos: int) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative precision and recall [N] of detections sorted by descending score.

    Ties keep their given order (stable sort). ``rec`` is all-NaN when ``n_pos == 0``.
    """
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    hits = np.asarray(is_tp, dtype=bool)[order]
    tp = np.cumsum(hits)
    fp = np.cumsum(~hits)
    prec = tp / (tp + fp) if tp.size else np.zeros(0)
    rec = tp / n_pos if n_pos > 0 else np.full(tp.shape, np.nan)
    return prec.astype(np.float64), rec.astype(np.float64)


def voc_ap_all_point(prec: np.ndarray, rec: np.ndarray) -> float:
    """Area under the precision envelope (VOC 2010+, chainercv ``use_07_metric=False``).

    ``mpre = [0, prec, 0]``, ``mrec = [0, rec, 1]``; ``mpre`` made non-increasing from the right;
    AP = sum of ``(mrec[i+1] - mrec[i]) * mpre[i+1]`` where the recall changes.
    """
    mpre = np.concatenate(([0.0], np.nan_to_num(np.asarray(prec, dtype=np.float64)), [0.0]))
    mrec = np.concatenate(([0.0], np.asarray(rec, dtype=np.float64), [1.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def voc_ap_11_point(prec: np.ndarray, rec: np.ndarray) -> float:
    """VOC 2007 11-point AP: mean over t in ``arange(0, 1.1, 0.1)`` of ``max(prec[rec >= t])`` (0 if none)."""
    prec = np.nan_to_num(np.asarray(prec, dtype=np.float64))
    rec = np.asarray(rec, dtype=np.float64)
    ap = 0.0
    for t in VOC07_RECALL_THRESHOLDS:
        above = rec >= t
        ap += (float(np.max(prec[above])) if above.any() else 0.0) / 11
    return ap


def coco_ap_101_point(prec: np.ndarray, rec: np.ndarray, rec_thrs: np.ndarray = COCO_RECALL_THRESHOLDS) -> float:
    """pycocotools' interpolated AP: precision made non-increasing from the right, read at the first
    detection whose recall reaches each threshold (0 beyond the last), averaged over the thresholds."""
    pr = np.asarray(prec, dtype=np.float64).copy()
    rec = np.asarray(rec, dtype=np.float64)
    if pr.size:
        pr = np.maximum.accumulate(pr[::-1])[::-1]
    q = np.zeros(len(rec_thrs))
    idx = np.searchsorted(rec, rec_thrs, side="left")
    ok = idx < pr.size
    q[ok] = pr[idx[ok]]
    return float(np.mean(q))
