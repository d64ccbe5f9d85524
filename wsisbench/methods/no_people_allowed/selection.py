"""Model selection on a held-out part of train: the classifier by the F1 of its image labels (Sec. 4.1), the
segmenter by its mIoU.

"For the classification step, we validate our models by calculating the F1 score on image-level labels."
The held-out tail of the prepared training labels (``prepare_labels``) is scored every ``interval``
iterations; the weights with the best score are kept in ``best_<metric>.pth`` next to the Runner's
checkpoints, and the stage makes them its ``weights.pth`` (:func:`keep_best_weights`). The paper selects its
segmenter by val mIoU, which leaks the evaluation set; here the held-out train images are scored against
their Step 2 label maps (the only masks train has). These are training-time selection criteria only: the
reported scores come from the common semantic evaluator.
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
from wsisbench.datasets.png import read_label_png
from wsisbench.evaluation.semantic import SemanticConfusion
from wsisbench.models.inputs import model_input
from wsisbench.pipeline.training import WEIGHTS_NAME
from wsisbench.registry import HOOKS
from wsisbench.utils.atomic import atomic_write_bytes, atomic_write_json

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
    samples at their own size, and their multi-hot targets [N, K]. The caller puts the model in eval mode."""
    scores, targets = [], []
    for path, labels in samples:
        logits = model(model_input(model, mmcv.imread(path), device))
        scores.append(logits.sigmoid()[0].float().cpu().numpy())
        targets.append(multi_hot(labels, num_classes))
    return np.stack(scores), np.stack(targets)


def segmenter_logits(model):
    """``x`` [B, 3, h, w] -> the decode head's logits [B, K + 1, h / 4, w / 4] of an mmseg EncoderDecoder."""
    return lambda x: model.decode_head(model.extract_feat(x))


def best_files(metric: str) -> tuple[str, str]:
    """File names of the kept weights and of their record for ``metric``: ``best_<metric>.pth/.json``."""
    return f"best_{metric}.pth", f"best_{metric}.json"


class KeepBestHook(Hook):
    """Scores the model every ``interval`` iterations (and after the last) and keeps the best weights.

    Subclasses set ``metric`` (a file-name-safe name) and implement :meth:`score`. A resumed run reads the best
    score so far from ``best_<metric>.json`` in the work dir.
    """

    priority = "LOW"
    metric = "score"

    def __init__(self, interval: int):
        self.interval = int(interval)

    def score(self, net: torch.nn.Module, device: str) -> float:
        raise NotImplementedError

    def record_extra(self) -> dict:
        return {}

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        it = runner.iter + 1
        if it % self.interval and it != runner.max_iters:
            return
        net = runner.model.module if is_model_wrapper(runner.model) else runner.model
        was_training = net.training
        net.eval()
        value = self.score(net, next(net.parameters()).device.type)
        net.train(was_training)
        weights, record_name = best_files(self.metric)
        record = Path(runner.work_dir) / record_name
        best = json.loads(record.read_text()) if record.is_file() else None
        history = (best or {}).get("history", []) + [{"iter": it, self.metric: value}]
        if best is None or value > best[self.metric]:
            buffer = io.BytesIO()
            torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, buffer)
            atomic_write_bytes(Path(runner.work_dir) / weights, buffer.getvalue())
            best = {"iter": it, self.metric: value}
        atomic_write_json(record, {"iter": best["iter"], self.metric: best[self.metric], **self.record_extra(),
                                   "history": history})
        runner.logger.info(f"held-out {self.metric} at iter {it}: {value:.4f} "
                           f"(best {best[self.metric]:.4f} at iter {best['iter']})")


def keep_best_weights(ctx, out_dir: Path, metric: str) -> dict:
    """Make a stage's kept ``best_<metric>.pth`` its ``weights.pth``; ``{'selected_iter', 'holdout_<metric>'}``
    (empty when no selection ran)."""
    weights, record_name = best_files(metric)
    best = out_dir / weights
    found = {}
    if ctx.is_main and best.is_file():
        atomic_write_bytes(out_dir / WEIGHTS_NAME, best.read_bytes())
        best.unlink()
    if (out_dir / record_name).is_file():
        record = json.loads((out_dir / record_name).read_text())
        found = {"selected_iter": record["iter"], f"holdout_{metric}": record[metric]}
    ctx.barrier()
    return found


@HOOKS.register_module()
class ImageLabelF1Hook(KeepBestHook):
    """The classifier's F1 (:func:`image_label_f1`) on held-out images.

    Args:
        samples: ``[(img_path, [0-based classes])]`` of the held-out images.
        num_classes: K.
        interval: iterations between two scorings.
        threshold / average: as :func:`image_label_f1`.
    """

    metric = "f1"

    def __init__(self, samples, num_classes: int, interval: int = 50, threshold: float = 0.5,
                 average: str = "macro"):
        super().__init__(interval)
        self.samples = [(str(p), list(c)) for p, c in samples]
        self.num_classes = int(num_classes)
        self.threshold = float(threshold)
        self.average = average

    def score(self, net, device: str) -> float:
        scores, targets = holdout_scores(net, self.samples, self.num_classes, device)
        return image_label_f1(scores, targets, self.threshold, self.average)

    def record_extra(self) -> dict:
        return {"average": self.average, "threshold": self.threshold, "num_images": len(self.samples)}


@HOOKS.register_module()
class HeldOutMIoUHook(KeepBestHook):
    """The segmenter's mIoU on held-out images against their label maps (the common evaluator's confusion
    matrix; classes absent from both the targets and the predictions are left out of the mean).

    Args:
        samples: ``[(img_path, label_png_path)]``.
        num_classes: K + 1 (background included).
        interval: iterations between two scorings.
        ignore_index: label of unknown pixels in the label maps.
    The model is an mmseg ``EncoderDecoder``; its decode head's logits are resized to the image (bilinear).
    """

    metric = "miou"

    def __init__(self, samples, num_classes: int, interval: int = 100, ignore_index: int = 255):
        super().__init__(interval)
        self.samples = [(str(p), str(q)) for p, q in samples]
        self.num_classes = int(num_classes)
        self.ignore_index = int(ignore_index)

    @torch.no_grad()
    def score(self, net, device: str) -> float:
        confusion = SemanticConfusion(self.num_classes, self.ignore_index, out_of_range="error")
        head = segmenter_logits(net)
        for img_path, seg_path in self.samples:
            img = mmcv.imread(img_path)
            logits = torch.nn.functional.interpolate(head(model_input(net, img, device)), size=img.shape[:2],
                                                     mode="bilinear", align_corners=False)
            confusion.update(read_label_png(seg_path), logits[0].argmax(dim=0).to(torch.uint8).cpu().numpy(),
                             name=seg_path)
        miou = confusion.compute()["mIoU"]
        return 0.0 if np.isnan(miou) else float(miou)

    def record_extra(self) -> dict:
        return {"num_images": len(self.samples)}
