"""Average best overlap (ABO), as reported by PRM, Label-PEnet and DCL (no public reference code).

For each ground-truth instance, its best IoU with any prediction in the same image (0 when the image has no
prediction); then either

- ``ABO``: the mean over all GT instances (pooled), or
- ``ABO_class_mean``: the mean over classes of the per-class means (classes without GT left out).

``class_agnostic=False`` restricts each GT's candidates to predictions of its own class (reported with the
suffix ``_same_class``). Crowd GT is left out.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .ground_truth import InstanceGroundTruth
from .instance_matching import ImageMatches, match_by_image
from .predictions import InstancePredictions


def average_best_overlap(gt: InstanceGroundTruth, preds: InstancePredictions, cat_ids: Sequence[int] | None = None,
                         class_agnostic: bool = True, matches: ImageMatches | None = None) -> dict[str, Any]:
    """ABO pooled and class-mean (fractions).

    Returns:
        ``{"metrics": {"ABO": float, "ABO_class_mean": float}, "per_class": {"ABO": {name: float}}}`` with
        keys suffixed ``_same_class`` when ``class_agnostic`` is False; NaN when there is no GT.
    """
    cats = gt.subset_categories(cat_ids)
    if matches is None:
        matches = match_by_image(gt, preds, cats)
    best = matches.gt_best_any if class_agnostic else matches.gt_best_same
    gt_cats = gt.category_ids[matches.gt_index]
    names = gt.category_names
    suffix = "" if class_agnostic else "_same_class"
    per_class = {}
    for c in cats:
        v = best[gt_cats == c]
        per_class[names[c]] = float(v.mean()) if v.size else float("nan")
    class_means = np.array([v for v in per_class.values() if not np.isnan(v)])
    return {
        "metrics": {f"ABO{suffix}": float(best.mean()) if best.size else float("nan"),
                    f"ABO_class_mean{suffix}": float(class_means.mean()) if class_means.size else float("nan")},
        "per_class": {f"ABO{suffix}": per_class},
    }
