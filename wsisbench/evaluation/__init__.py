"""The common evaluator: every protocol that wsisbench reports, in one place.

Importing this package registers :class:`SemanticSegMetric` and :class:`InstanceSegMetric` in
``wsisbench.registry.METRICS``.

- :mod:`.semantic` -- :class:`SemanticConfusion` (mIoU, mAcc, aAcc; streaming confusion matrix)
- :mod:`.voc_instance` -- protocols ``voc`` / ``voc07`` (chainercv rules); :mod:`.abo` -- ABO
- :mod:`.coco_mask` -- protocol ``coco`` (pycocotools segm via faster-coco-eval; 12 stats, subsets)
- :mod:`.ground_truth`, :mod:`.predictions`, :mod:`.masks` -- checked inputs
- :mod:`.api` -- ``evaluate_instance`` / ``evaluate_semantic`` (result.json ``evaluations`` entries)
- :mod:`.profiling` -- :class:`Profiler` (sec/iter, sec/img, peak RSS / CUDA memory)
- :mod:`.metrics` -- mmengine ``BaseMetric`` wrappers
"""
from .abo import average_best_overlap
from .api import PROTOCOLS, evaluate_instance, evaluate_semantic
from .average_precision import coco_ap_101_point, voc_ap_11_point, voc_ap_all_point
from .coco_mask import COCO_STAT_NAMES, evaluate_coco_segm
from .ground_truth import GtImage, InstanceGroundTruth, load_coco_gt, load_voc_instance_gt
from .metrics import InstanceSegMetric, SemanticSegMetric
from .predictions import InstancePredictions, load_instance_predictions
from .profiling import Profiler
from .semantic import OUT_OF_RANGE_POLICIES, SemanticConfusion
from .voc_instance import VOC_IOU_THRESHOLDS, evaluate_voc_instance

__all__ = [
    "OUT_OF_RANGE_POLICIES", "SemanticConfusion", "Profiler",
    "GtImage", "InstanceGroundTruth", "load_coco_gt", "load_voc_instance_gt",
    "InstancePredictions", "load_instance_predictions",
    "coco_ap_101_point", "voc_ap_11_point", "voc_ap_all_point",
    "VOC_IOU_THRESHOLDS", "evaluate_voc_instance", "average_best_overlap",
    "COCO_STAT_NAMES", "evaluate_coco_segm",
    "PROTOCOLS", "evaluate_instance", "evaluate_semantic",
    "InstanceSegMetric", "SemanticSegMetric",
]
