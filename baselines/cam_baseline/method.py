"""The CAM baseline (Zhou et al., CVPR 2016, arXiv:1512.04150) as a wsisbench method, ``cam_baseline``.

Stages:
    train_classifier    multi-label GAP classifier on image-level labels (mmengine Runner)
    pseudo_labels_train CAMs of the train images for their ground-truth labels -> label maps
    evaluate_train      pseudo-label quality (semantic protocol on the train split)
    predict_val         CAMs of the val images for the predicted labels -> label maps
    evaluate_val        semantic protocol on the val split
"""
from __future__ import annotations

from wsisbench.pipeline import Method, Stage
from wsisbench.registry import METHODS

from . import stages


@METHODS.register_module(name="cam_baseline")
class CAMBaseline(Method):
    summary = "CAM baseline: GAP classifier on image labels, CAMs, background threshold"

    def build_stages(self) -> list[Stage]:
        return [
            Stage("train_classifier", stages.train_classifier, "multi-label classifier on image labels",
                  resumable=True),
            Stage("pseudo_labels_train", stages.pseudo_labels_train, "CAM label maps of the train split",
                  inputs=("train_classifier",)),
            Stage("evaluate_train", stages.evaluate_train, "pseudo-label mIoU on the train split",
                  inputs=("pseudo_labels_train",)),
            Stage("predict_val", stages.predict_val, "CAM label maps of the val split", inputs=("train_classifier",)),
            Stage("evaluate_val", stages.evaluate_val, "semantic mIoU on the val split", inputs=("predict_val",)),
        ]
