"""Partially supervised instance segmentation with mmdet detectors: the public pieces methods build on.

Mask^X R-CNN and the baselines of its paper (GrabCut in boxes, Mask R-CNN trained on GrabCut masks,
class-agnostic head, oracle) share these; a third-party method can use them the same way.

- :mod:`.class_split` -- class subsets by name (A / B, voc / nonvoc, lists) and their labels
- :mod:`.data` -- ``CocoSplitDataset`` configs: boxes of every class, masks of the mask classes only
- :mod:`.models` -- model configs completed at run time (classes, mask labels, checkpoint; stage-wise parts)
- :mod:`.prediction` -- a trained detector over the eval split -> COCO results json with RLE masks
- :mod:`.evaluation` -- mask AP on class subsets with the common evaluator (COCO protocol)
- :mod:`.stages` -- stage functions: end-to-end training, detector training, prediction, evaluation
"""
from .class_split import class_labels, resolve_class_subset
from .models import complete_model, detector_only, mask_head_only
from .prediction import predict_to_json

__all__ = ["class_labels", "complete_model", "detector_only", "mask_head_only", "predict_to_json",
           "resolve_class_subset"]
