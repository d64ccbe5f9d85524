"""NoPeopleAllowed (LID 2020, 3rd place) as a wsisbench method, ``no_people_allowed``.

Stages (Step 1 of the three; Steps 2 and 3 are not built yet, see README.md):
    prepare_labels      person removal and balancing of the train image labels, held-out tail
    train_classifier    multi-label classifier on the prepared labels, selected by held-out F1
    cams_crf            CAMs of the train and val images, refined by the dense CRF -> label maps
    evaluate_step1      semantic mIoU / mAcc / aAcc of Step 1 on the val split (``val_step1``)
"""
from __future__ import annotations

from wsisbench.pipeline import Method, Stage
from wsisbench.registry import METHODS

from . import stages


@METHODS.register_module(name="no_people_allowed")
class NoPeopleAllowed(Method):
    summary = "NoPeopleAllowed: person-free balanced labels, classifier CAMs + CRF (Step 1 of 3)"

    def build_stages(self) -> list[Stage]:
        return [
            Stage("prepare_labels", stages.prepare_labels, "person removal and balancing of the train labels"),
            Stage("train_classifier", stages.train_classifier, "classifier on the prepared labels (best F1)",
                  inputs=("prepare_labels",), resumable=True),
            Stage("cams_crf", stages.cams_crf, "CAM + dense CRF label maps of train and val",
                  inputs=("prepare_labels", "train_classifier")),
            Stage("evaluate_step1", stages.evaluate_step1, "Step 1 semantic mIoU on the val split",
                  inputs=("cams_crf",)),
        ]
