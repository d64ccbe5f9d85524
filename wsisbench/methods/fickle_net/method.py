"""FickleNet (Lee et al., CVPR 2019) as a wsisbench method.

Stages:
    train_classifier         FickleNet classifier (centre-fixed dropout) on image labels
    localization_maps_train  N stochastic Grad-CAM passes per training image -> seed PNGs (255 unassigned)
    evaluate_pseudo_labels   pseudo-label mIoU on the train split ('pseudo_train', 'pseudo_train_seeds')
    repeat_inference_std     (when repeat.num_repeats > 0) Table 6: std of the pseudo-label mIoU over
                             repeated extractions, per N
    train_segmenter          DeepLab + DSRG (seeding + boundary loss with the dense CRF, region growing;
                             + alpha * L_full for pixel-labelled images in the semi-supervised variant)
    predict_val              segmenter label maps of the val split
    evaluate_val             semantic mIoU on the val split ('val')

``stages`` in the config (a list of names) runs a prefix-closed subset, e.g. only the first three for
a pseudo-label ablation.
"""
from __future__ import annotations

from wsisbench.errors import WsisbenchError
from wsisbench.pipeline import Method, Stage
from wsisbench.registry import METHODS

from .stage_evaluate import evaluate_pseudo_labels, evaluate_val
from .stage_localization import localization_maps_train
from .stage_predict import predict_val
from .stage_repeat_std import repeat_inference_std
from .stage_train_classifier import train_classifier
from .stage_train_segmenter import train_segmenter

#: every stage in order, with the stages it reads
STAGE_INPUTS = {
    "train_classifier": (),
    "localization_maps_train": ("train_classifier",),
    "evaluate_pseudo_labels": ("localization_maps_train",),
    "repeat_inference_std": ("train_classifier",),
    "train_segmenter": ("localization_maps_train", "train_classifier"),
    "predict_val": ("train_segmenter",),
    "evaluate_val": ("predict_val",),
}


@METHODS.register_module(name="fickle_net")
class FickleNet(Method):
    summary = "FickleNet: stochastic hidden-unit selection maps + DSRG segmentation (weak / semi)"

    def build_stages(self) -> list[Stage]:
        cfg = self.cfg
        all_stages = [
            Stage("train_classifier", train_classifier, "FickleNet classifier on image labels", resumable=True),
            Stage("localization_maps_train", localization_maps_train,
                  f"{cfg.localization.num_passes} stochastic Grad-CAM passes per train image -> seeds"),
            Stage("evaluate_pseudo_labels", evaluate_pseudo_labels, "pseudo-label mIoU on the train split"),
            Stage("repeat_inference_std", repeat_inference_std, "std of the pseudo-label mIoU over repeats"),
            Stage("train_segmenter", train_segmenter, "DeepLab with DSRG on the seeds", resumable=True),
            Stage("predict_val", predict_val, "segmenter label maps of the val split"),
            Stage("evaluate_val", evaluate_val, "semantic mIoU on the val split"),
        ]
        if int((cfg.get("repeat") or {}).get("num_repeats", 0)) <= 0:
            all_stages = [s for s in all_stages if s.name != "repeat_inference_std"]
        wanted = cfg.get("stages")
        if wanted is None:
            return all_stages
        known = {s.name for s in all_stages}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise WsisbenchError(f"config 'stages' names unknown stage(s) {unknown}; stages of this preset: "
                                 f"{', '.join(s.name for s in all_stages)}")
        for name in wanted:
            missing = [dep for dep in STAGE_INPUTS[name] if dep not in wanted]
            if missing:
                raise WsisbenchError(f"config 'stages': {name!r} needs {missing} in the list too")
        return [s for s in all_stages if s.name in wanted]
