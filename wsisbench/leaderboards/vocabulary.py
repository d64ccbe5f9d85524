"""The names a leaderboard file may use: metrics, units, benchmarks, protocols, class subsets.

A typo in a leaderboard file (``mIOU``, ``precent``) is an error on load, never a silently
unmatched row. Add a name here (with its direction and units) before using it in a file.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricInfo:
    """A reported metric: what it is, whether higher is better, the units it may be printed in."""

    description: str
    higher_is_better: bool
    units: tuple[str, ...]


_QUALITY = ("percent", "fraction")

METRICS: dict[str, MetricInfo] = {
    # semantic segmentation (docs/evaluation-protocols.md section 3)
    "mIoU": MetricInfo("mean IoU over classes (nanmean)", True, _QUALITY),
    "mAcc": MetricInfo("mean class accuracy", True, _QUALITY),
    "aAcc": MetricInfo("pixel accuracy", True, _QUALITY),
    # COCO mask AP (section 2)
    "AP": MetricInfo("COCO mask AP @[0.5:0.95]", True, _QUALITY),
    "AP50": MetricInfo("COCO mask AP @0.5", True, _QUALITY),
    "AP75": MetricInfo("COCO mask AP @0.75", True, _QUALITY),
    "APs": MetricInfo("COCO mask AP, small objects", True, _QUALITY),
    "APm": MetricInfo("COCO mask AP, medium objects", True, _QUALITY),
    "APl": MetricInfo("COCO mask AP, large objects", True, _QUALITY),
    # VOC instance segmentation mAP^r and ABO (section 1)
    "mAP@0.25": MetricInfo("VOC mAP^r at IoU 0.25", True, _QUALITY),
    "mAP@0.5": MetricInfo("VOC mAP^r at IoU 0.5", True, _QUALITY),
    "mAP@0.7": MetricInfo("VOC mAP^r at IoU 0.7", True, _QUALITY),
    "mAP@0.75": MetricInfo("VOC mAP^r at IoU 0.75", True, _QUALITY),
    "ABO": MetricInfo("average best overlap of GT instances", True, _QUALITY),
    # run time and memory (section 4)
    "sec_per_iter": MetricInfo("training time per optimizer step", False, ("s/iter",)),
    "sec_per_img": MetricInfo("inference time per image (all scales, flips, samples)", False, ("s/img",)),
    "postprocess_sec_per_img": MetricInfo("post-processing time per image", False, ("s/img",)),
    "gpu_memory": MetricInfo("GPU memory in use", False, ("GB", "MiB")),
    "speedup": MetricInfo("speed-up factor against a baseline", True, ("x",)),
    "memory_increase": MetricInfo("memory increase against a baseline", False, ("percent",)),
    # stability of stochastic inference (FickleNet Table 6)
    "std_mIoU": MetricInfo("standard deviation of mIoU over repeated inference", False, ("1e-3",)),
    "std_recall": MetricInfo("standard deviation of recall over repeated inference", False, ("1e-5",)),
    "std_precision": MetricInfo("standard deviation of precision over repeated inference", False, ("1e-5",)),
}

#: unit -> description. ``1e-3`` means "printed value x 1e-3", as in FickleNet Table 6.
UNITS: dict[str, str] = {
    "percent": "percent (a fraction x 100)",
    "fraction": "fraction in [0, 1]",
    "s/iter": "seconds per optimizer step",
    "s/img": "seconds per image",
    "GB": "gigabytes (taken as GiB = 1024 MiB when compared)",
    "MiB": "mebibytes",
    "x": "ratio",
    "1e-3": "printed value x 1e-3",
    "1e-5": "printed value x 1e-5",
}

BENCHMARKS: dict[str, str] = {
    "voc2012": "PASCAL VOC 2012 segmentation (val 1,449 images; test on the evaluation server)",
    "coco2017": "COCO 2017 (train2017 / val2017)",
    "lid2020": "LID 2020 challenge track 1 (ILSVRC-DET images, 201 classes)",
    "embedded": "wsisbench's generated synthetic benchmark",
}

#: protocols of docs/evaluation-protocols.md, plus ``timing`` for run-time and memory rows.
PROTOCOLS: dict[str, str] = {
    "voc": "chainercv-style VOC instance mAP^r, all-point AP",
    "voc07": "VOC instance mAP^r, 11-point AP (FCIS/MNC SDS)",
    "coco": "pycocotools COCOeval segm",
    "semantic": "confusion-matrix mIoU / mAcc / aAcc",
    "timing": "run time and memory measurements",
}

#: the class subset a number is computed on (Mask^X R-CNN: set A has training masks, set B has not).
CLASS_SUBSETS = ("all", "A", "B")
DIRECTIONS = ("voc->non-voc", "non-voc->voc")
