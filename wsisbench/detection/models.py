"""Model configs of a partially supervised run, completed at run time from the benchmark and the split.

- :func:`complete_model` fills class counts, the mask-supervised labels (A), the class names of the
  'embedding' transfer input and the ImageNet checkpoint of the backbone.
- :func:`detector_only` is the first stage of stage-wise training (Faster R-CNN: no mask branch).
- :func:`mask_head_only` is the second stage (detector loaded from the first stage and frozen).
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Sequence

from mmengine.config import Config, ConfigDict


def backbone_init_cfg(cfg: Config) -> dict | None:
    """The backbone's ``init_cfg`` for the run's ImageNet checkpoint ``cfg.pretrained`` (None: the backbone
    initialises itself, e.g. EfficientNet-Lite0 with its shipped weights). Paper presets require it; the
    runner checks that before any stage runs."""
    from wsisbench.pipeline.preflight import pretrained_for

    path = pretrained_for(cfg)
    return dict(type="Pretrained", checkpoint=path) if path else None


def complete_model(cfg: Config, class_names: Sequence[str], mask_labels: Sequence[int] | None,
                   with_imagenet: bool = True) -> ConfigDict:
    """``cfg.model`` as a dict with the run's classes filled in (and the backbone checkpoint, if any)."""
    model = copy.deepcopy(cfg.model.to_dict())
    roi = model["roi_head"]
    roi["bbox_head"]["num_classes"] = len(class_names)
    if roi.get("mask_head") is not None:
        roi["mask_head"]["num_classes"] = len(class_names)
        tin = roi["mask_head"].get("transfer_input")
        if tin is not None and tin.get("kind") == "embedding":
            tin["class_names"] = list(class_names)
    if roi.get("type") == "PartialMaskRoIHead":
        roi["mask_train_labels"] = None if mask_labels is None else list(mask_labels)
    if with_imagenet:
        init = backbone_init_cfg(cfg)
        if init is not None:
            model["backbone"]["init_cfg"] = init
    return ConfigDict(model)


def detector_only(model: dict) -> ConfigDict:
    """Faster R-CNN of the first stage: the same detector, without the mask RoI extractor and head."""
    model = copy.deepcopy(dict(model))
    model["roi_head"].pop("mask_roi_extractor", None)
    model["roi_head"].pop("mask_head", None)
    if model["roi_head"].get("type") == "PartialMaskRoIHead":
        model["roi_head"]["mask_train_labels"] = None
    return ConfigDict(model)


def mask_head_only(model: dict, detector_weights: Path) -> ConfigDict:
    """The second stage: the whole model starts from ``detector_weights`` and only the mask head trains."""
    model = copy.deepcopy(model)
    model["train_mask_only"] = True
    model["init_cfg"] = dict(type="Pretrained", checkpoint=str(detector_weights))
    model["backbone"].pop("init_cfg", None)
    return ConfigDict(model)
