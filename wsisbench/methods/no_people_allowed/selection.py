"""Model selection of the classification step by the F1 score of the image labels (Sec. 4.1).

"For the classification step, we validate our models by calculating the F1 score on image-level labels."
A held-out tail of the prepared training labels (``prepare_labels``) is scored every ``interval`` iterations;
the weights with the best F1 are kept in ``best_f1.pth`` next to the Runner's checkpoints, and the stage
makes them its ``weights.pth``. This is a training-time selection criterion only: the reported scores come
from the common semantic evaluator.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import mmcv
import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from wsisbench.datasets.classification import multi_hot
from wsisbench.models.inputs import model_input
from wsisbench.registry import HOOKS
from wsisbench.utils.atomic import atomic_write_bytes, atomic_write_json

BEST_WEIGHTS = "best_f1.pth"
BEST_RECORD = "best_f1.json"
AVERAGES = ("macro", "micro")


def image_label_f1(scores: np.ndarray, targets: np.ndarray, threshold: float = 0.5, average: str = "macro") -> float:
    """F1 of multi-label predictions ``scores >= threshold``.

    Args:
        scores: float [N, K] class probabilities; targets: {0, 1} [N, K].
        average: ``'macro'``: mean over the classes with a positive in ``targets`` or in the predictions of
            ``2 TP / (2 TP + FP + FN)`` (every class weighs the same, which suits imbalanced labels);
            ``'micro'``: the same ratio over all (image, class) pairs.
    Returns:
        F1 in [0, 1] (0 when nothing is positive anywhere).
    """
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
    pred = np.asarray(scores) >= threshold
    gt = np.asarray(targets) > 0.5
    tp = (pred & gt).sum(0).astype(np.float64)
    fp = (pred & ~gt).sum(0).astype(np.float64)
    fn = (~pred & gt).sum(0).astype(np.float64)
    if average == "micro":
        denom = 2 * tp.sum() + fp.sum() + fn.sum()
        return float(2 * tp.sum() / denom) if denom else 0.0
    denom = 2 * tp + fp + fn
    used = denom > 0
    return float(np.mean(2 * tp[used] / denom[used])) if used.any() else 0.0


@torch.no_grad()
def holdout_scores(model: torch.nn.Module, samples: list[tuple[str, list[int]]], num_classes: int,
                   device: str) -> tuple[np.ndarray, np.ndarray]:
    """Sigmoid scores [N, K] of ``model`` (a classifier returning logits [1, K]) on ``(img_path, labels)``
    samples at their own size, and their multi-hot targets [N, K]."""
    was_training = model.training
    model.eval()
    scores, targets = [], []
    for path, labels in samples:
        logits = model(model_input(model, mmcv.imread(path), device))
        scores.append(logits.sigmoid()[0].float().cpu().numpy())
        targets.append(multi_hot(labels, num_classes))
    model.train(was_training)
    return np.stack(scores), np.stack(targets)


@HOOKS.register_module()
class ImageLabelF1Hook(Hook):
    """Scores the held-out images every ``interval`` iterations (and after the last) and keeps the best weights.

    Args:
        samples: ``[(img_path, [0-based classes])]`` of the held-out images.
        num_classes: K.
        interval: iterations between two scorings.
        threshold / average: as :func:`image_label_f1`.
    A resumed run reads the best F1 so far from ``best_f1.json`` in the work dir.
    """

    priority = "LOW"

    def __init__(self, samples, num_classes: int, interval: int = 50, threshold: float = 0.5,
                 average: str = "macro"):
        self.samples = [(str(p), list(c)) for p, c in samples]
        self.num_classes = int(num_classes)
        self.interval = int(interval)
        self.threshold = float(threshold)
        self.average = average

    def _record(self, runner) -> Path:
        return Path(runner.work_dir) / BEST_RECORD

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        it = runner.iter + 1
        if not self.samples or (it % self.interval and it != runner.max_iters):
            return
        net = runner.model.module if is_model_wrapper(runner.model) else runner.model
        device = next(net.parameters()).device.type
        scores, targets = holdout_scores(net, self.samples, self.num_classes, device)
        f1 = image_label_f1(scores, targets, self.threshold, self.average)
        record = self._record(runner)
        best = json.loads(record.read_text()) if record.is_file() else None
        history = (best or {}).get("history", []) + [{"iter": it, "f1": f1}]
        if best is None or f1 > best["f1"]:
            buffer = io.BytesIO()
            torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, buffer)
            atomic_write_bytes(Path(runner.work_dir) / BEST_WEIGHTS, buffer.getvalue())
            best = {"iter": it, "f1": f1}
        atomic_write_json(record, {"iter": best["iter"], "f1": best["f1"], "average": self.average,
                                   "threshold": self.threshold, "num_images": len(self.samples),
                                   "history": history})
        runner.logger.info(f"held-out image-label F1 ({self.average}) at iter {it}: {f1:.4f} "
                           f"(best {best['f1']:.4f} at iter {best['iter']})")
