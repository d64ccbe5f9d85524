"""FickleNet (Lee et al., CVPR 2019) as a wsisbench method, ``fickle_net``.

Stages (``stages=[...]`` in a config runs a subset; each stage's inputs must be in it):

    train_classifier         FickleNet classifier (centre-fixed dropout) on image labels
    localization_maps_train  N stochastic Grad-CAM passes per training image -> seed PNGs (255 unassigned)
    evaluate_pseudo_labels   pseudo-label mIoU on the train split ('pseudo_train', 'pseudo_train_seeds')
    repeat_inference_std     (when repeat.num_repeats > 0) Table 6: std of the pseudo-label mIoU over
                             repeated extractions, per N
    train_segmenter          DeepLab + DSRG (seeding + boundary loss with the dense CRF, region growing;
                             + alpha * L_full for pixel-labelled images in the semi-supervised variant)
    predict_val              segmenter label maps of the val split
    evaluate_val             semantic mIoU on the val split ('val')
"""
from __future__ import annotations

from wsisbench.pipeline import Method, Stage
from wsisbench.registry import METHODS

from . import stages


@METHODS.register_module(name="fickle_net")
class FickleNet(Method):
    summary = "FickleNet: stochastic hidden-unit selection maps + DSRG segmentation (weak / semi)"

    def build_stages(self) -> list[Stage]:
        cfg = self.cfg
        out = [
            Stage("train_classifier", stages.train_classifier, "FickleNet classifier on image labels",
                  resumable=True, share=stages.classifier_share),
            Stage("localization_maps_train", stages.localization_maps_train,
                  f"{cfg.localization.num_passes} stochastic Grad-CAM passes per train image -> seeds",
                  inputs=("train_classifier",)),
            Stage("evaluate_pseudo_labels", stages.evaluate_pseudo_labels, "pseudo-label mIoU on the train split",
                  inputs=("localization_maps_train",)),
        ]
        if int((cfg.get("repeat") or {}).get("num_repeats", 0)) > 0:
            out.append(Stage("repeat_inference_std", stages.repeat_inference_std,
                             "std of the pseudo-label mIoU over repeats", inputs=("train_classifier",)))
        return out + [
            Stage("train_segmenter", stages.train_segmenter, "DeepLab with DSRG on the seeds",
                  inputs=("localization_maps_train", "train_classifier"), resumable=True),
            Stage("predict_val", stages.predict_val, "segmenter label maps of the val split",
                  inputs=("train_segmenter",)),
            Stage("evaluate_val", stages.evaluate_val, "semantic mIoU on the val split", inputs=("predict_val",)),
        ]
