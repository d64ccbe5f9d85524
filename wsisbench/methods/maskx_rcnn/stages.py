"""Mask^X R-CNN's own stages; the others come from :mod:`wsisbench.detection.stages`.

- ``check_inputs``: the user-supplied word-embedding file of the 'embedding' transfer input exists.
- ``train_mask_head``: stage-wise training, second stage: the detector of ``train_detector`` is loaded and
  frozen; only the mask head (and T) learns, on the masks of A.
- ``predict_val``: the trained model over the eval split.
"""
from __future__ import annotations

from pathlib import Path

from mmengine.config import Config

from wsisbench.detection import stages as detection
from wsisbench.detection.data import train_dataset
from wsisbench.detection.models import mask_head_only
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.training import WEIGHTS_NAME

from .transfer import require_file


def check_inputs(cfg: Config) -> None:
    """Fail before any training when the 'embedding' transfer input has no word-embedding file."""
    head = cfg.model.roi_head.get("mask_head") or {}
    tin = head.get("transfer_input") or {}
    if tin.get("kind") == "embedding":
        require_file(tin.get("embedding_file"))


def train_mask_head(ctx: RunContext, out_dir: Path) -> dict:
    """Stage-wise, second stage: the detector frozen, only the mask head learns (masks of A)."""
    names = ctx.class_names()
    model = mask_head_only(detection.full_model(ctx, with_imagenet=False), detection.detector_weights(ctx))
    return detection.train(ctx, out_dir, model, ctx.cfg.get("mask_train", ctx.cfg.get("train")),
                           train_dataset(ctx, names, detection.mask_classes(ctx)))


def predict_val(ctx: RunContext, out_dir: Path) -> dict:
    """Instance masks of the eval split from the trained model (``train`` or ``train_mask_head``)."""
    trained = "train_mask_head" if ctx.cfg.get("training", "end2end") == "stagewise" else "train"
    model = detection.full_model(ctx, with_imagenet=False)
    return detection.predict(ctx, out_dir, ctx.artifact(trained, WEIGHTS_NAME), model)
