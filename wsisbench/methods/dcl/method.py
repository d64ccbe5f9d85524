"""Deep Community Learning as a wsisbench method, ``dcl``.

Stages (``stages=[...]`` in a config runs a subset; each stage's inputs must be in it):

    proposals_train  mask proposals of the train images (selective search cached on disk, or the user's MCG
                     files) and their boxes for the detector; shared between runs through ``stage_cache``
    proposals_val    the same for the val images (the detector's boxes and the post-processing's masks)
    train_network    detector (OICR + box regressor) and IMG CAMs on one backbone (mmengine Runner); presets
                     that differ only at test time share it through ``stage_cache``
    predict_val      multi-scale + flip detection -> NMS -> masks from the fused CAMs in each box -> optional
                     best-proposal post-processing; COCO results json (RLE); sec/img of network and
                     post-processing apart
    evaluate_val     the common evaluator, 'voc' instance protocol: mAP^r at 0.25/0.5/0.7/0.75 and ABO
"""
from __future__ import annotations

from wsisbench.pipeline import Method, Stage
from wsisbench.registry import METHODS

from . import stages


@METHODS.register_module(name="dcl")
class DeepCommunityLearning(Method):
    summary = "Deep Community Learning: OICR detector + box regressor + multi-level CAM masks on one backbone"

    def build_stages(self) -> list[Stage]:
        return [
            Stage("proposals_train", stages.proposals_train, "mask proposals and boxes of the train split",
                  share=stages.proposals_share),
            Stage("proposals_val", stages.proposals_val, "mask proposals of the val split",
                  share=stages.proposals_share),
            Stage("train_network", stages.train_network, "detector + IMG CAMs on image labels", resumable=True,
                  inputs=("proposals_train",), share=stages.network_share),
            Stage("predict_val", stages.predict_val, "instances of the val split",
                  inputs=("train_network", "proposals_val")),
            Stage("evaluate_val", stages.evaluate_val, "VOC instance mAP^r and ABO on the val split",
                  inputs=("predict_val",)),
        ]
