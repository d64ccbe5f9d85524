"""Protocol ``coco``: mask AP exactly as pycocotools ``COCOeval(iouType='segm')`` computes it, run by
faster-coco-eval.

On VOC-style data (the CIM line of work) the same protocol runs at IoU 0.25 / 0.5 / 0.7 / 0.75 and reports
``mAP@<t>`` at area 'all', maxDets 100. Unlike ``voc``, a prediction may fall back to its best still-unmatched
GT, and AP is the 101-point interpolation (evaluation-protocols.md, T1/T5).

- Defaults: IoU thresholds ``linspace(.5, .95, 10)``, 101 recall thresholds, maxDets [1, 10, 100], area
  ranges all/small/medium/large; the 12 ``stats`` in pycocotools' order and per-class AP (mean of the
  precision entries > -1 at area 'all', maxDets 100).
- Ground-truth areas are the json ``area`` (as pycocotools); prediction areas are mask areas (a ``bbox`` in
  results is never used). Crowd GT is ignored, with crowd IoU ``|D & G| / |D|``.
- Category subsets (Mask^X R-CNN's 'AP on B'): ``params.catIds`` is the subset and every image is kept.
- None of mmdet ``CocoMetric``'s departures: no maxDets 1000 for AP50/AP75, no box areas for GT.

``stats`` keeps pycocotools' -1 for undefined entries; the named ``metrics`` turn them into NaN.
"""
from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np

from .ground_truth import InstanceGroundTruth
from .predictions import InstancePredictions

#: names of pycocotools' 12 summary stats, in order
COCO_STAT_NAMES: tuple[str, ...] = ("AP", "AP50", "AP75", "APs", "APm", "APl",
                                    "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")

#: pycocotools' default IoU thresholds (exactly its linspace)
COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)

#: pycocotools' default area ranges (pixels^2)
COCO_AREA_RANGES: dict[str, list[float]] = {"all": [0 ** 2, 1e5 ** 2], "small": [0 ** 2, 32 ** 2],
                                            "medium": [32 ** 2, 96 ** 2], "large": [96 ** 2, 1e5 ** 2]}

_quiet = logging.getLogger("wsisbench.cocoeval").debug


def run_cocoeval(gt: InstanceGroundTruth, preds: InstancePredictions, cat_ids: Sequence[int] | None = None,
                 iou_thrs: Sequence[float] | None = None, area_ranges: dict[str, list[float]] | None = None,
                 max_dets: Sequence[int] = (1, 10, 100)):
    """Evaluate and accumulate with faster-coco-eval; returns the ``COCOeval_faster`` object.

    Its ``eval["precision"]`` is float64 [T, R, K, A, M] and ``eval["recall"]`` [T, K, A, M], as pycocotools'.
    """
    from faster_coco_eval import COCO, COCOeval_faster

    gt_dict = gt.to_coco_dict()
    coco_gt = COCO(gt_dict, print_function=_quiet)
    coco_dt = COCO(print_function=_quiet)
    dts = preds.to_coco_results(with_area=True)
    for i, d in enumerate(dts, start=1):
        d["id"] = i
    coco_dt.dataset = {"images": gt_dict["images"], "categories": gt_dict["categories"], "annotations": dts}
    coco_dt.createIndex()
    ev = COCOeval_faster(coco_gt, coco_dt, iouType="segm", print_function=_quiet)
    p = ev.params
    p.imgIds = sorted(im.id for im in gt.images)
    p.catIds = gt.subset_categories(cat_ids)
    if iou_thrs is not None:
        p.iouThrs = np.asarray(iou_thrs, dtype=np.float64)
    ranges = area_ranges if area_ranges is not None else COCO_AREA_RANGES
    p.areaRng = [list(map(float, v)) for v in ranges.values()]
    p.areaRngLbl = list(ranges)
    p.maxDets = sorted(int(m) for m in max_dets)
    ev.evaluate()
    ev.accumulate()
    return ev


def _mean_defined(s: np.ndarray) -> float:
    """pycocotools' summary: mean of the entries > -1, or -1 when there is none."""
    s = s[s > -1]
    return float(np.mean(s)) if s.size else -1.0


def summarize(ev) -> np.ndarray:
    """pycocotools ``COCOeval.summarize()`` stats [12] (-1 where undefined), without printing.

    Requires the default area range labels and maxDets containing 1, 10 and 100.
    """
    p = ev.params
    precision, recall = ev.eval["precision"], ev.eval["recall"]
    thrs = np.asarray(p.iouThrs)

    def value(ap: bool, iou: float | None = None, area: str = "all", max_det: int = 100) -> float:
        a = list(p.areaRngLbl).index(area)
        m = list(p.maxDets).index(max_det)
        s = precision[:, :, :, a, m] if ap else recall[:, :, a, m]
        if iou is not None:
            s = s[np.where(iou == thrs)[0]]
        return _mean_defined(s)

    return np.array([
        value(True), value(True, 0.5), value(True, 0.75),
        value(True, area="small"), value(True, area="medium"), value(True, area="large"),
        value(False, max_det=1), value(False, max_det=10), value(False),
        value(False, area="small"), value(False, area="medium"), value(False, area="large"),
    ])


def per_class_ap(ev, iou_index: int | None = None, area_index: int = 0, max_det_index: int = -1) -> np.ndarray:
    """float64 [K]: per-category AP (mean precision > -1 over thresholds and recalls), NaN where undefined."""
    precision = ev.eval["precision"]
    out = np.full(precision.shape[2], np.nan)
    for k in range(precision.shape[2]):
        s = precision[:, :, k, area_index, max_det_index]
        if iou_index is not None:
            s = s[iou_index]
        v = _mean_defined(s)
        out[k] = v if v > -1 else np.nan
    return out


def threshold_key(t: float) -> str:
    """``0.5 -> "0.5"``, ``0.25 -> "0.25"`` (how thresholds appear in metric names)."""
    return f"{float(t):g}"


def evaluate_coco_segm(gt: InstanceGroundTruth, preds: InstancePredictions, cat_ids: Sequence[int] | None = None,
                       iou_thrs: Sequence[float] | None = None, per_image: bool = False) -> dict[str, Any]:
    """Protocol ``coco``: the 12 COCO mask AP stats, per-class AP, and mAP at each threshold.

    Args:
        cat_ids: category subset (all images kept); default all categories of ``gt``.
        iou_thrs: IoU thresholds (default ``linspace(.5, .95, 10)``; VOC-style data uses
            ``[0.25, 0.5, 0.7, 0.75]``).

    Returns:
        ``stats``: pycocotools' 12 stats (its -1 kept) for these thresholds; ``per_class_ap``: per-category AP
        over all thresholds (NaN where undefined), aligned with ``cat_ids``; and the presented numbers
        (fractions, NaN for undefined):

        - default thresholds: ``metrics`` = the 12 stats by name (``AP``, ``AP50``, ..., ``ARl``),
          ``per_class`` = ``AP``, ``AP50``, ``AP75``;
        - other thresholds: ``metrics`` = ``mAP@<t>`` per threshold, ``per_class`` = ``AP@<t>``
          (area 'all', maxDets 100: the CIM-style numbers on VOC). A summary "AP" over custom thresholds
          would be mistaken for COCO's AP, so it appears only in ``stats``.

        With ``per_image``, also ``per_image``: a :class:`~wsisbench.evaluation.per_image.DetectionStats`
        (per image and category, the kept detections' outcomes at each threshold), from which ``AP``,
        ``AP50``, ``AP75``, ``AR100`` (or ``mAP@<t>``) are recomputed on any multiset of images.
    """
    ev = run_cocoeval(gt, preds, cat_ids, iou_thrs)
    stats = summarize(ev)
    names = gt.category_names
    cats = list(ev.params.catIds)
    cat_names = [names[c] for c in cats]
    thrs = np.asarray(ev.params.iouThrs)
    precision = ev.eval["precision"]
    all_ap = per_class_ap(ev)
    if np.array_equal(thrs, COCO_IOU_THRESHOLDS):
        metrics = {n: (float(v) if v > -1 else float("nan")) for n, v in zip(COCO_STAT_NAMES, stats)}
        per_class = {"AP": dict(zip(cat_names, all_ap.tolist())),
                     "AP50": dict(zip(cat_names, per_class_ap(ev, 0).tolist())),
                     "AP75": dict(zip(cat_names, per_class_ap(ev, 5).tolist()))}
    else:
        metrics, per_class = {}, {}
        for i, t in enumerate(thrs):
            key = threshold_key(t)
            v = _mean_defined(precision[i, :, :, 0, -1])
            metrics[f"mAP@{key}"] = v if v > -1 else float("nan")
            per_class[f"AP@{key}"] = dict(zip(cat_names, per_class_ap(ev, i).tolist()))
    pr_index = int(np.argmin(np.abs(thrs - 0.5)))  # IoU 0.5 when evaluated, else the closest threshold
    out = {"stats": stats.tolist(), "stat_names": list(COCO_STAT_NAMES), "per_class_ap": all_ap.tolist(),
           "metrics": metrics, "per_class": per_class, "cat_ids": [int(c) for c in cats],
           "iou_thrs": thrs.tolist(), "pr_curves": pr_curves(ev, cat_names, pr_index),
           "pr_curves_iou": float(thrs[pr_index])}
    if per_image:
        from .per_image import coco_detection_stats

        out["per_image"] = coco_detection_stats(ev, gt)
    return out


def pr_curves(ev, cat_names: list[str], iou_index: int) -> dict[str, dict]:
    """Per-class interpolated precision at the 101 recall thresholds (area 'all', maxDets 100) at one IoU
    threshold: ``{class: {"recall": [101], "precision": [101], "ap": float}}``, the curve pycocotools averages
    into AP. Recall points beyond the class's maximum recall (precision -1 -> 0 in pycocotools' mean) are
    dropped; classes without ground truth are left out."""
    precision = ev.eval["precision"][iou_index, :, :, 0, -1]  # [R, K]
    rec_thrs = np.asarray(ev.params.recThrs)
    curves = {}
    for k, name in enumerate(cat_names):
        p = precision[:, k]
        if np.all(p == -1):
            continue
        reached = p > 0
        n = int(np.max(np.nonzero(reached)[0])) + 1 if reached.any() else 1
        curves[name] = {"recall": rec_thrs[:n].tolist(), "precision": p[:n].tolist(),
                        "ap": float(np.mean(np.where(p > -1, p, 0)))}
    return curves
