"""PRM as a wsisbench method, ``prm``.

Stages (``stages=[...]`` in a config runs a subset; each stage's inputs must be in it):

    train_classifier  fully convolutional classifier with peak stimulation on image labels (mmengine Runner)
    proposals_val     mask proposals of the val images (selective search cached on disk, or the user's
                      MCG files) -- not for ``instances.kind='cam'``
    predict_val       PRM: valid classes and peaks -> peak back-propagation -> proposal retrieval -> NMS;
                      CAM instances: connected components of thresholded CAMs; COCO results json (RLE)
    evaluate_val      the common evaluator, 'voc' instance protocol: mAP^r at 0.25/0.5/0.7/0.75 and ABO
"""
from __future__ import annotations

from wsisbench.pipeline import Method, Stage
from wsisbench.registry import METHODS

from . import stages


@METHODS.register_module(name="prm")
class PRM(Method):
    summary = "PRM: peak stimulation, peak back-propagation, proposal retrieval (+ Residual Attention, CAM instances)"

    def build_stages(self) -> list[Stage]:
        kind = stages.instance_kind(self.cfg)
        out = [Stage("train_classifier", stages.train_classifier, "PRM classifier on image labels",
                     resumable=True, share=stages.classifier_share)]
        predict_inputs: tuple[str, ...] = ("train_classifier",)
        if kind == "prm":
            out.append(Stage("proposals_val", stages.proposals_val, "mask proposals of the val split"))
            predict_inputs += ("proposals_val",)
        return out + [
            Stage("predict_val", stages.predict_val, f"{kind} instances of the val split", inputs=predict_inputs),
            Stage("evaluate_val", stages.evaluate_val, "VOC instance mAP^r and ABO on the val split",
                  inputs=("predict_val",)),
        ]
