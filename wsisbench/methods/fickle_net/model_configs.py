"""The preset's network configs completed with the benchmark's number of classes."""
from __future__ import annotations

import copy

from wsisbench.pipeline import RunContext

from .samples import class_names


def classifier_cfg(ctx: RunContext, for_loading: bool = False) -> dict:
    """``cfg.classifier`` with ``num_classes`` = K; ``for_loading`` drops ``pretrained`` (trained weights follow)."""
    model = copy.deepcopy(ctx.cfg.classifier.to_dict())
    model["num_classes"] = len(class_names(ctx))
    if for_loading:
        model["pretrained"] = None
    return model


def segmenter_cfg(ctx: RunContext, for_loading: bool = False) -> dict:
    """``cfg.segmenter`` with ``num_classes`` = K + 1 (background included)."""
    model = copy.deepcopy(ctx.cfg.segmenter.to_dict())
    model["num_classes"] = len(class_names(ctx)) + 1
    if for_loading:
        model["pretrained"] = None
    return model
