"""NoPeopleAllowed (LID 2020, 3rd place) as a wsisbench method, ``no_people_allowed``.

Stages (one run scores all three steps on val):
    prepare_labels      person removal and balancing of the train image labels, held-out tail
    train_classifier    multi-label classifier on the prepared labels, selected by held-out F1
    cams_crf            CAMs of the train and val images, refined by the dense CRF -> label maps (Step 1)
    evaluate_step1      semantic mIoU / mAcc / aAcc of Step 1 on the val split (``val_step1``)
    train_irnet         IRNet's boundary and displacement branches on the confident train images' Step 1 maps
    random_walk_labels  cams_crf's strided CAMs propagated by the random walk on IRNet's boundaries -> label
                        maps (Step 2)
    evaluate_step2      Step 2 on val (``val_step2``)
    (person variant, ``person.enabled``: train_person_classifier, a binary person classifier, and person_labels,
    its CAM merged into Step 2's train maps)
    train_segmenter     DeepLabv3+ on Step 2's train maps, selected by held-out mIoU
    segment             its val label maps, with flip x scale TTA (Step 3)
    evaluate_step3      Step 3 on val (``val_step3``)
"""
from __future__ import annotations

from wsisbench.pipeline import Method, Stage
from wsisbench.registry import METHODS

from . import stages


@METHODS.register_module(name="no_people_allowed")
class NoPeopleAllowed(Method):
    summary = "NoPeopleAllowed: person-free balanced labels, CAMs + CRF, IRNet random walk, DeepLabv3+ with TTA"

    def build_stages(self) -> list[Stage]:
        person = []
        if (self.cfg.get("person") or {}).get("enabled", False):  # Table 3's person variant
            person = [
                Stage("train_person_classifier", stages.train_person_classifier,
                      "binary person classifier on the published train labels", resumable=True,
                      share=stages.person_share),
                Stage("person_labels", stages.person_labels, "person CAM merged into Step 2's train maps",
                      inputs=("prepare_labels", "random_walk_labels", "train_person_classifier")),
            ]
        maps = stages.segmenter_maps_stage(self.cfg)
        tta = ((self.cfg.get("segmenter") or {}).get("tta") or {}).get("enabled", True)
        return [
            Stage("prepare_labels", stages.prepare_labels, "person removal and balancing of the train labels",
                  share=stages.labels_share),
            Stage("train_classifier", stages.train_classifier, "classifier on the prepared labels (best F1)",
                  inputs=("prepare_labels",), resumable=True, share=stages.classifier_share),
            Stage("cams_crf", stages.cams_crf, "CAM + dense CRF label maps of train and val",
                  inputs=("prepare_labels", "train_classifier"), share=stages.cams_share),
            Stage("evaluate_step1", stages.evaluate_step1, "Step 1 semantic mIoU on the val split",
                  inputs=("cams_crf",)),
            Stage("train_irnet", stages.train_irnet, "IRNet on the confident train images' Step 1 maps",
                  inputs=("cams_crf",), resumable=True, share=stages.irnet_share),
            Stage("random_walk_labels", stages.random_walk_labels, "random walk of the CAMs on IRNet's boundaries",
                  inputs=("prepare_labels", "cams_crf", "train_irnet"), share=stages.random_walk_share),
            Stage("evaluate_step2", stages.evaluate_step2, "Step 2 semantic mIoU on the val split",
                  inputs=("random_walk_labels",)),
            *person,
            Stage("train_segmenter", stages.train_segmenter, "DeepLabv3+ on Step 2's train maps (best mIoU)",
                  inputs=("prepare_labels", maps), resumable=True, share=stages.segmenter_share),
            Stage("segment", stages.segment, "Step 3 val label maps (" + ("TTA" if tta else "one pass, no TTA") + ")",
                  inputs=("train_segmenter",)),
            Stage("evaluate_step3", stages.evaluate_step3, "Step 3 semantic mIoU on the val split",
                  inputs=("segment",)),
        ]
