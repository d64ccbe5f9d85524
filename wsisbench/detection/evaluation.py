"""Mask AP on class subsets (Mask^X R-CNN's 'AP on B' / 'AP on A') with the common evaluator.

COCO protocol (pycocotools segm semantics: IoU 0.5:0.95, area ranges, maxDets 100) against the val
split's COCO json; a subset sets ``params.catIds`` and keeps ALL images. Config::

    split = dict(mask_classes='A', evaluate=dict(B='B', A='A'))   # result.json evaluations 'B' and 'A'
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from wsisbench.pipeline import RunContext

from .class_split import resolve_class_subset

#: the metrics a summary prints, in Table 3.5's order
TABLE_METRICS = ("AP", "AP50", "AP75", "APs", "APm", "APl")


def evaluate_subsets(ctx: RunContext, predictions: Path, class_names: Sequence[str], split: str,
                     gt_path: Path, out_dir: Path | None = None) -> dict:
    """``{'evaluations': {name: entry}}`` for every subset in ``cfg.split.evaluate`` (main rank only), against
    the COCO json ``gt_path`` of the evaluated split.

    Each entry's per-image statistics (:mod:`wsisbench.evaluation.per_image`, for paired comparisons) are
    written to ``<out_dir>/per_image_<name>.npz`` and recorded as ``"per_image": "<stage>/per_image_<name>.npz"``;
    ``out_dir`` defaults to the running stage's folder.
    """
    from wsisbench.evaluation.api import evaluate_instance
    from wsisbench.evaluation.ground_truth import load_coco_gt
    from wsisbench.evaluation.per_image import current_stage_dir, stage_file

    if not ctx.is_main:
        return {}
    gt = load_coco_gt(gt_path)
    predictions = _load_predictions(predictions, gt)
    out_dir = out_dir if out_dir is not None else current_stage_dir(ctx)
    evaluations = {}
    for name, spec in ctx.cfg.split.evaluate.items():
        names = resolve_class_subset(spec, class_names, ctx.benchmark)
        per_image, ref = stage_file(out_dir, name) if out_dir is not None else (False, None)
        entry = evaluate_instance(gt, predictions, protocol="coco", classes=names, split=split, abo=False,
                                  voc_style=False, per_image=per_image)
        if ref is not None:
            entry["per_image"] = ref
        entry["class_split"] = spec if isinstance(spec, str) else list(spec)
        entry["mask_supervised"] = _supervision(ctx, names, class_names)
        evaluations[name] = entry
        ctx.log(f"  mask AP on {name} ({spec}): " + ", ".join(
            f"{k} {100 * entry['metrics'][k]:.1f}" if not math.isnan(entry["metrics"][k]) else f"{k} nan"
            for k in TABLE_METRICS))
    return {"evaluations": evaluations}


def _load_predictions(predictions, gt):
    """The predictions json read once for all subsets (every subset reads the same file)."""
    from wsisbench.evaluation.predictions import load_instance_predictions

    return load_instance_predictions(predictions, gt)


def _supervision(ctx: RunContext, names: list[str] | None, class_names: Sequence[str]) -> str:
    """'masks' / 'boxes only' / 'mixed': what the scored classes had in training."""
    trained = resolve_class_subset(ctx.cfg.split.get("mask_classes"), class_names, ctx.benchmark)
    scored = set(names or class_names)
    if trained is None or scored <= set(trained):
        return "masks"
    return "boxes only" if not scored & set(trained) else "mixed"
