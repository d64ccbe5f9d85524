"""Scoring pseudo-labels that leave pixels unassigned (255), beyond the filled mIoU.

``pseudo_train`` (the headline number, :func:`evaluate_label_maps` with ``out_of_range='background'``)
scores unassigned pixels as background: the pseudo-label mIoU papers report after filling.
:func:`evaluate_seeds` adds the view of the seeds as the segmenter sees them: the mIoU over assigned
pixels only (a precision-like score) and ``coverage``, the fraction of non-void ground-truth pixels that
got a label. :func:`foreground_precision_recall` gives Table 6's class-aware foreground precision/recall.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from mmengine.dist import all_gather_object

from wsisbench.datasets.png import read_label_png
from wsisbench.datasets.voc_instances import read_label_map
from wsisbench.evaluation.semantic import SemanticConfusion
from wsisbench.pipeline import RunContext

UNASSIGNED = 255


def gather_confusion(ctx: RunContext, confusion: SemanticConfusion) -> SemanticConfusion:
    """The sum of every rank's confusion (itself when not distributed)."""
    if not ctx.distributed:
        return confusion
    total = SemanticConfusion(confusion.num_classes, confusion.ignore_index, confusion.out_of_range,
                              confusion.class_names)
    for state in all_gather_object(confusion.state()):
        total.merge(state)
    return total


def foreground_precision_recall(matrix: np.ndarray) -> tuple[float, float]:
    """Confusion [C, C] (class 0 background) -> (precision, recall) of foreground pixels with the right class."""
    tp = float(np.trace(matrix) - matrix[0, 0])
    predicted = float(matrix[:, 1:].sum())
    actual = float(matrix[1:, :].sum())
    return (tp / predicted if predicted else float("nan"), tp / actual if actual else float("nan"))


def evaluate_seeds(ctx: RunContext, pred_dir: Path, samples: Sequence[dict], class_names: Sequence[str],
                   split: str) -> dict:
    """The ``pseudo_train_seeds`` evaluation: metrics over assigned pixels, plus ``coverage``."""
    names = ["background", *class_names]
    confusion = SemanticConfusion(len(names), UNASSIGNED, "ignore", names)
    assigned = counted = 0
    for s in ctx.shard(list(samples)):
        gt = read_label_map(s["seg_map_path"])
        pred = read_label_png(pred_dir / f"{s['img_id']}.png")
        valid = gt != UNASSIGNED
        hit = valid & (pred != UNASSIGNED)
        assigned += int(hit.sum())
        counted += int(valid.sum())
        confusion.update(np.where(hit, gt, UNASSIGNED).astype(np.uint8), pred, name=s["img_id"])
    confusion = gather_confusion(ctx, confusion)
    if ctx.distributed:
        pairs = all_gather_object((assigned, counted))
        assigned, counted = sum(a for a, _ in pairs), sum(c for _, c in pairs)
    metrics = confusion.compute()
    precision, recall = foreground_precision_recall(confusion.matrix)
    return {
        "protocol": "semantic-assigned-pixels",
        "task": "semantic",
        "split": split,
        "num_images": metrics["num_images"],
        "metrics": {"mIoU": metrics["mIoU"], "mAcc": metrics["mAcc"], "aAcc": metrics["aAcc"],
                    "coverage": assigned / counted if counted else float("nan"),
                    "fg_precision": precision},
        "per_class": confusion.per_class(metrics),
    }
