"""Scoring pseudo-labels that leave pixels unassigned (255), beyond the filled mIoU.

``pseudo_train`` (the headline number, :func:`evaluate_label_maps` with ``out_of_range='background'``)
scores unassigned pixels as background: the pseudo-label mIoU papers report after filling. It does not
depend on the background rule (background and unassigned pixels both count as background).
:class:`SeedScorer` scores the seeds as the segmenter sees them: the mIoU over assigned pixels only (a
precision-like score), ``coverage`` (the fraction of non-void ground-truth pixels that got a label) and
the precision of the background and foreground seeds. :func:`foreground_precision_recall` gives Table 6's
class-aware foreground precision/recall.
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


class SeedScorer:
    """Accumulates seed maps [H, W] (0 bg, 1..K, 255 unassigned) against ground truth (255 void)."""

    def __init__(self, class_names: Sequence[str]):
        names = ["background", *class_names]
        self.confusion = SemanticConfusion(len(names), UNASSIGNED, "ignore", names)
        self.assigned = 0
        self.counted = 0

    def update(self, gt: np.ndarray, seeds: np.ndarray, name: str | None = None) -> None:
        valid = gt != UNASSIGNED
        hit = valid & (seeds != UNASSIGNED)
        self.assigned += int(hit.sum())
        self.counted += int(valid.sum())
        self.confusion.update(np.where(hit, gt, UNASSIGNED).astype(np.uint8), seeds, name=name)

    def gather(self, ctx: RunContext) -> "SeedScorer":
        """Sum over ranks (in place); returns self."""
        if ctx.distributed:
            self.confusion = gather_confusion(ctx, self.confusion)
            pairs = all_gather_object((self.assigned, self.counted))
            self.assigned, self.counted = sum(a for a, _ in pairs), sum(c for _, c in pairs)
        return self

    def metrics(self) -> dict:
        """mIoU / mAcc / aAcc over assigned pixels, coverage, bg_precision, fg_precision (fractions)."""
        m = self.confusion.compute()
        matrix = self.confusion.matrix
        bg_pred = float(matrix[:, 0].sum())
        return {"mIoU": m["mIoU"], "mAcc": m["mAcc"], "aAcc": m["aAcc"],
                "coverage": self.assigned / self.counted if self.counted else float("nan"),
                "bg_precision": float(matrix[0, 0]) / bg_pred if bg_pred else float("nan"),
                "fg_precision": foreground_precision_recall(matrix)[0]}


def evaluate_seeds(ctx: RunContext, pred_dir: Path, samples: Sequence[dict], class_names: Sequence[str],
                   split: str) -> dict:
    """The ``pseudo_train_seeds`` evaluation entry."""
    scorer = SeedScorer(class_names)
    for s in ctx.shard(list(samples)):
        scorer.update(read_label_map(s["seg_map_path"]), read_label_png(pred_dir / f"{s['img_id']}.png"),
                      name=s["img_id"])
    scorer.gather(ctx)
    metrics = scorer.metrics()
    return {"protocol": "semantic-assigned-pixels", "task": "semantic", "split": split,
            "num_images": scorer.confusion.num_images, "metrics": metrics,
            "per_class": scorer.confusion.per_class()}
