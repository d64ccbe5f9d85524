"""'Faster R-CNN tested w/ GrabCut' (the unsupervised-mask baseline of Mask^X R-CNN's Table 3.5), ``grabcut_boxes``.

Stages:
    train_detector   Faster R-CNN on the boxes of A and B (or ``detector_weights`` of an earlier run)
    predict_val      detections; each box's mask is GrabCut's foreground inside it (COCO results json)
    evaluate_val     mask AP on each subset of ``split.evaluate``

Config: ``grabcut = dict(iters=5, margin=0.15, min_margin=4)`` (:func:`wsisbench.localization.grabcut_in_box`
arguments). Built on the public API only (:mod:`wsisbench.detection`, :mod:`wsisbench.localization`).
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

import mmcv
import numpy as np

from wsisbench.detection import detector_only
from wsisbench.detection import stages as detection
from wsisbench.localization import grabcut_boxes
from wsisbench.pipeline import Method, RunContext, Stage
from wsisbench.registry import METHODS


def _mask_fn(image_path: str, boxes: np.ndarray, labels, scores, *, kwargs: dict) -> np.ndarray:
    return grabcut_boxes(mmcv.imread(image_path), boxes, **kwargs)


def predict_val(ctx: RunContext, out_dir: Path) -> dict:
    """Detections of the eval split, each box's mask from GrabCut inside it."""
    model = detector_only(detection.full_model(ctx, with_imagenet=False))
    kwargs = dict(ctx.cfg.get("grabcut", {}) or {})
    return detection.predict(ctx, out_dir, detection.detector_weights(ctx), model,
                             mask_fn=partial(_mask_fn, kwargs=kwargs))


@METHODS.register_module(name="grabcut_boxes")
class GrabCutBoxes(Method):
    summary = "Faster R-CNN boxes segmented by GrabCut (Mask^X R-CNN's unsupervised-mask baseline)"

    def build_stages(self) -> list[Stage]:
        return [
            Stage("train_detector", detection.train_detector, "Faster R-CNN on the boxes of all classes",
                  resumable=True,
                  share=detection.detector_share),
            Stage("predict_val", predict_val, "detections + GrabCut inside each box (COCO results json)",
                  inputs=("train_detector",)),
            Stage("evaluate_val", detection.evaluate, "mask AP on each class subset (COCO protocol)",
                  inputs=("predict_val",)),
        ]
