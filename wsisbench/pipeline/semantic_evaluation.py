"""Scoring a directory of predicted label maps against a benchmark's ground truth, across ranks."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from mmengine.dist import all_gather_object
from wsisbench.utils.progress import progress

from .context import RunContext


def evaluate_label_maps(ctx: RunContext, pred_dir: Path, gt_dir: Path, image_ids: Sequence[str],
                        class_names: Sequence[str], split: str, out_of_range: str | None = None) -> dict:
    """The ``evaluations`` entry (protocol 'semantic') for predictions ``pred_dir/<id>.png``.

    Each rank scores its shard of ``image_ids``; the confusion matrices are summed across ranks, so the
    metrics equal a single-process evaluation exactly.

    Args:
        gt_dir: ground-truth label PNGs ``<id>.png`` (0 background, 1..K, 255 void).
        class_names: K foreground names (the matrix has K + 1 classes).
        out_of_range: policy for predictions outside [0, K] (default: the benchmark's).
    """
    from wsisbench.datasets.png import read_label_png
    from wsisbench.evaluation.semantic import SemanticConfusion

    names = ["background", *class_names]
    policy = out_of_range or ctx.benchmark.semantic_out_of_range
    confusion = SemanticConfusion(num_classes=len(names), ignore_index=ctx.benchmark.ignore_index,
                                  out_of_range=policy, class_names=names)
    for img_id in progress(ctx.shard(image_ids), desc=f"evaluate {split}", disable=not ctx.is_main, leave=False):
        gt_path, pred_path = gt_dir / f"{img_id}.png", pred_dir / f"{img_id}.png"
        confusion.update(read_label_png(gt_path), read_label_png(pred_path), name=str(pred_path))
    if ctx.distributed:
        total = SemanticConfusion(num_classes=len(names), ignore_index=ctx.benchmark.ignore_index,
                                  out_of_range=policy, class_names=names)
        for state in all_gather_object(confusion.state()):
            total.merge(state)
        confusion = total
    metrics = confusion.compute()
    return {
        "protocol": "semantic",
        "task": "semantic",
        "split": split,
        "out_of_range": policy,
        "num_images": metrics["num_images"],
        "metrics": {k: metrics[k] for k in ("mIoU", "mIoU_nan0", "mAcc", "mAcc_nan0", "aAcc")},
        "per_class": confusion.per_class(metrics),
    }
