"""Training image -> FickleNet's pseudo-label map (0 background, 1..K, 255 unassigned), and how it is scored.

- :func:`image_map_statistics` runs the classifier's N stochastic passes on one image (seeded from the image
  id by :func:`image_generator`, so the maps do not depend on how images are sharded over processes);
- :func:`label_map` aggregates them with the preset's thresholds and background rule ('score': the
  ``bg_threshold`` on the mean maps; 'saliency': a user-supplied saliency map per image, DSRG's background
  cue; 'both');
- scoring: ``pseudo_train`` (the headline pseudo-label mIoU) scores unassigned pixels as background, i.e. the
  filled pseudo-labels; :class:`SeedScorer` scores the seeds as the segmenter sees them: mIoU over assigned
  pixels only, ``coverage`` (the share of non-void ground-truth pixels that got a label) and the precision of
  the background and foreground seeds; :func:`foreground_precision_recall` gives Table 6's class-aware
  foreground precision and recall.
"""
from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config, ConfigDict
from mmengine.dist import all_gather_object
from PIL import Image

from wsisbench.datasets.png import read_label_png
from wsisbench.datasets.voc_instances import read_label_map
from wsisbench.errors import DataError, WsisbenchError
from wsisbench.evaluation.semantic import SemanticConfusion
from wsisbench.models.inputs import model_input
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.preflight import user_folder

from .fast_cams import KeepSampler, map_statistics
from .localization import FickleMaps, aggregate_maps

#: background rules of the seeds: the mean-map threshold, a saliency map, or both
BACKGROUND_RULES = ("score", "saliency", "both")


def read_rgb(path: str) -> np.ndarray:
    """uint8 [H, W, 3] RGB (mmcv reads BGR)."""
    return np.ascontiguousarray(mmcv.imread(path)[:, :, ::-1])


def image_batch(model: torch.nn.Module, path: str) -> torch.Tensor:
    """Normalised [1, 3, H, W] on the model's device (through ``model.data_preprocessor``)."""
    return model_input(model, mmcv.imread(path))  # BGR, as in training (the preprocessor converts to RGB)


def read_saliency(folder: Path, img_id: str, size: tuple[int, int]) -> torch.Tensor:
    """``<folder>/<img_id>.png`` (grey, 0..255) -> saliency [H, W] in [0, 1], resized (bilinear) to ``size``."""
    path = Path(folder) / f"{img_id}.png"
    try:
        with Image.open(path) as img:
            grey = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise DataError(f"{path}: saliency map of training image {img_id!r} is missing") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read saliency map ({e})") from None
    sal = torch.from_numpy(grey)
    if tuple(sal.shape) != tuple(size):
        sal = F.interpolate(sal[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]
    return sal


def check_saliency(cfg: Config) -> Path | None:
    """The saliency folder when the background rule uses saliency (else None); raises when it is missing."""
    loc = cfg.localization
    rule = loc.get("background", "score")
    if rule not in BACKGROUND_RULES:
        raise WsisbenchError(f"localization.background must be one of {', '.join(BACKGROUND_RULES)}, got {rule!r}")
    if rule == "score":
        return None
    path = user_folder(cfg, "localization.saliency_dir", loc.get("saliency_dir"),
                       "background seeds from saliency maps (DSRG uses DRFI)",
                       "one grey PNG <image id>.png per training image (0 = background, 255 = salient)")
    if loc.get("saliency_threshold") is None:
        raise WsisbenchError("localization.saliency_threshold must be set with localization.saliency_dir")
    return path


def image_generator(img_id: str, seed: int, device: str, repeat: int = 0) -> torch.Generator:
    """A generator seeded from (seed, repeat, image id): maps do not depend on how images are sharded."""
    value = (zlib.crc32(img_id.encode()) + 1_000_003 * int(seed) + 7_919 * int(repeat)) % (2**63)
    return torch.Generator(device=device).manual_seed(value)


@torch.no_grad()
def image_map_statistics(model, img_path: str, classes: Sequence[int], checkpoints: Sequence[int],
                         loc: ConfigDict, generator: torch.Generator,
                         sampler: KeepSampler | None = None) -> list[FickleMaps]:
    """One backbone forward, then the N stochastic passes; statistics after each n in ``checkpoints``.

    Maps are upsampled to the image size. ``model`` is a :class:`FickleNetImageClassifier` in eval mode.
    """
    batch = image_batch(model, img_path)
    feats = model.net.extract_features(batch)
    return map_statistics(feats, model.net.head, classes, checkpoints, chunk=int(loc.chunk),
                          out_size=tuple(batch.shape[-2:]), generator=generator,
                          fast=bool(loc.get("fast", True)), sampler=sampler)


def label_map(maps: FickleMaps, loc: ConfigDict, img_id: str, saliency_dir: Path | None,
              bg_threshold: float | None = None) -> np.ndarray:
    """Aggregate (threshold, class decision, background rule) -> uint8 [H, W].

    ``bg_threshold`` overrides ``loc.bg_threshold`` (the sweep of the localization stage).
    """
    rule = loc.get("background", "score")
    bg = loc.get("bg_threshold") if bg_threshold is None else bg_threshold
    kwargs = {}
    if rule in ("score", "both"):
        kwargs["bg_threshold"] = float(bg)
    if rule in ("saliency", "both"):
        kwargs["saliency"] = read_saliency(saliency_dir, img_id, tuple(maps.mean.shape[-2:])).to(maps.mean.device)
        kwargs["saliency_threshold"] = float(loc.saliency_threshold)
    labels = aggregate_maps(maps.mean, maps.peak, maps.classes, threshold=float(loc.threshold),
                            aggregation=loc.get("aggregation", "union"), **kwargs)
    return labels.to(torch.uint8).cpu().numpy()


UNASSIGNED = 255


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
            self.confusion = self.confusion.gathered()
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
