"""Evaluation stages that several methods share: a stage function calls one with its predictions file."""
from __future__ import annotations

from pathlib import Path


def evaluate_voc_instances(ctx, out_dir: Path, predictions: Path) -> dict:
    """Score a COCO results json (RLE masks) of the eval split with the 'voc' instance protocol against the
    split's SegmentationObject PNGs: mAP^r at ``cfg.eval_iou_thrs`` (default 0.25 / 0.5 / 0.7 / 0.75) and ABO.

    Returns the stage summary ``{'evaluations': {'val': entry}}`` (empty on other ranks than the main one);
    per-image statistics go to ``out_dir`` for paired comparisons.
    """
    from wsisbench.evaluation.api import evaluate_instance
    from wsisbench.evaluation.ground_truth import load_voc_instance_gt
    from wsisbench.evaluation.per_image import stage_file

    if not ctx.is_main:
        return {}
    split = ctx.cfg.benchmark.eval_split
    gt = load_voc_instance_gt(ctx.data_root, split, class_names=ctx.class_names())
    per_image, ref = stage_file(out_dir, "val")
    entry = evaluate_instance(gt, predictions, protocol="voc",
                              iou_thrs=list(ctx.cfg.get("eval_iou_thrs", (0.25, 0.5, 0.7, 0.75))), split=split,
                              abo=True, per_image=per_image)
    entry["per_image"] = ref
    m = entry["metrics"]
    ctx.log("  val: " + ", ".join(f"{k} {100 * v:.1f}" for k, v in m.items() if isinstance(v, float)))
    return {"evaluations": {"val": entry}}
