"""Mask^X R-CNN (Hu et al., 'Learning to Segment Every Thing') as a wsisbench method, ``maskx_rcnn``.

Partially supervised instance segmentation: boxes of every class (A and B), masks of A only; mask AP is
reported on B (no training masks) and on A. The mask head in the config selects the variant of the
paper's tables: ``TransferMaskHead`` (w_seg = T(w_det), optional MLP branch), ``AgnosticMaskHead``
(class-agnostic baseline), or mmdet's ``FCNMaskHead`` with ``split.mask_classes='all'`` (the oracle).

Stages, ``training='end2end'``:
    train            Mask R-CNN; box losses on A and B, mask loss on A (mmengine Runner, resumable)
    predict_val      COCO results json with RLE masks (predictions/<split>.json)
    evaluate_val     mask AP, AP50, AP75, APs/m/l on each subset of ``split.evaluate`` (COCO protocol)

Stages, ``training='stagewise'``:
    train_detector   Faster R-CNN on the boxes of A and B (or ``detector_weights`` of an earlier run)
    train_mask_head  the detector frozen, only the mask head (and T) trains, on the masks of A
    predict_val, evaluate_val as above
"""
from __future__ import annotations

from wsisbench.detection import stages as detection
from wsisbench.errors import WsisbenchError
from wsisbench.pipeline import Method, Stage
from wsisbench.registry import METHODS

from . import stages

TRAININGS = ("end2end", "stagewise")


@METHODS.register_module(name="maskx_rcnn")
class MaskXRCNN(Method):
    summary = "Mask^X R-CNN: mask weights transferred from box weights (partially supervised, COCO mask AP)"

    def __init__(self, cfg):
        super().__init__(cfg)
        training = cfg.get("training", "end2end")
        if training not in TRAININGS:
            raise WsisbenchError(f"training={training!r}; valid: {', '.join(TRAININGS)}")
        self.training = training
        stages.check_inputs(cfg)

    def build_stages(self) -> list[Stage]:
        if self.training == "stagewise":
            train = [Stage("train_detector", detection.train_detector,
                           "Faster R-CNN on the boxes of all classes (first stage)", resumable=True,
                           share=detection.detector_share),
                     Stage("train_mask_head", stages.train_mask_head,
                           "mask head on the masks of A, detector frozen (second stage)",
                           inputs=("train_detector",), resumable=True)]
        else:
            train = [Stage("train", detection.train_end_to_end,
                           "Mask R-CNN end to end: boxes of all classes, masks of A", resumable=True)]
        return train + [
            Stage("predict_val", stages.predict_val, "instance masks of the eval split (COCO results json)",
                  inputs=(train[-1].name,)),
            Stage("evaluate_val", detection.evaluate, "mask AP on each class subset (COCO protocol)",
                  inputs=("predict_val",)),
        ]
