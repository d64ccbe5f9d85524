"""'Mask R-CNN trained w/ GrabCut' (Mask^X R-CNN's Table 3.5; weakly supervised, like Khoreva et al. 2017),
``grabcut_mask_rcnn``.

Stages:
    grabcut_masks    GrabCut inside the ground-truth boxes of ``grabcut_classes`` -> a new train json
                     (default 'all', the paper's setting: every class gets GrabCut masks; a class subset such
                     as 'B' keeps the true masks of the others: the ``*_mixed`` presets)
    train            class-specific Mask R-CNN on those masks, end to end
    predict_val      instance masks of the eval split (COCO results json)
    evaluate_val     mask AP on each subset of ``split.evaluate``

Config: ``grabcut = dict(iters=5, margin=0.15, min_margin=4)`` (:func:`wsisbench.localization.grabcut_in_box`
arguments), ``grabcut_classes`` (a class subset, see :mod:`wsisbench.detection.class_split`). Built on the
public API only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from wsisbench.datasets.rle import decode_segmentation
from wsisbench.detection import resolve_class_subset
from wsisbench.detection import stages as detection
from wsisbench.detection.data import annotation_path
from wsisbench.pipeline import Method, RunContext, Stage
from wsisbench.pipeline.training import WEIGHTS_NAME
from wsisbench.registry import METHODS
from wsisbench.utils.atomic import atomic_write_json

from .pseudo_masks import grabcut_annotation_masks, group_by_image, load_coco, replace_masks

#: the train annotations with GrabCut masks, in the grabcut_masks stage
GRABCUT_JSON = "instances_train_grabcut.json"


def grabcut_masks(ctx: RunContext, out_dir: Path) -> dict:
    """GrabCut masks of the ground-truth boxes of ``grabcut_classes``, written as a new train json."""
    from mmengine.dist import all_gather_object

    src = annotation_path(ctx, "train_ann")
    dataset = load_coco(src)
    names = resolve_class_subset(ctx.cfg.get("grabcut_classes", "all"), ctx.class_names(), ctx.benchmark)
    by_name = {c["name"]: c["id"] for c in dataset["categories"]}
    cat_ids = None if names is None else {by_name[n] for n in names}
    img_dir = Path(ctx.data_root) / ctx.cfg.data.train_img
    masks = grabcut_annotation_masks(ctx.shard(dataset["images"]), group_by_image(dataset["annotations"]),
                                     img_dir, cat_ids, dict(ctx.cfg.get("grabcut", {}) or {}), show=ctx.is_main)
    if ctx.distributed:
        merged: dict = {}
        for part in all_gather_object(masks):
            merged.update(part)
        masks = merged
    summary = {"num_grabcut_masks": len(masks), "grabcut_classes": names or "all",
               "grabcut_vs_gt_mean_iou": mean_iou(dataset, masks)}
    if ctx.is_main:
        atomic_write_json(out_dir / GRABCUT_JSON, replace_masks(dataset, masks))
        ctx.log(f"  {len(masks)} GrabCut masks, mean IoU with the true masks "
                f"{summary['grabcut_vs_gt_mean_iou']:.3f} (reported only; never used in training)")
    return summary


def train(ctx: RunContext, out_dir: Path) -> dict:
    """Mask R-CNN on the GrabCut masks (and, for a class subset, the true masks of the other classes)."""
    return detection.train_end_to_end(ctx, out_dir, ann_file=ctx.artifact("grabcut_masks", GRABCUT_JSON),
                                      all_masks=True)


def predict_val(ctx: RunContext, out_dir: Path) -> dict:
    model = detection.full_model(ctx, with_imagenet=False)
    model["roi_head"]["mask_train_labels"] = None
    return detection.predict(ctx, out_dir, ctx.artifact("train", WEIGHTS_NAME), model)


def mean_iou(dataset: dict, masks: dict[int, dict]) -> float:
    """Mean IoU of the GrabCut masks with the json's own masks (a quality report of the pseudo labels)."""
    sizes = {im["id"]: (im["height"], im["width"]) for im in dataset["images"]}
    ious = []
    for a in dataset["annotations"]:
        if a["id"] not in masks or not a.get("segmentation"):
            continue
        h, w = sizes[a["image_id"]]
        gt = decode_segmentation(a["segmentation"], h, w)
        pred = decode_segmentation(masks[a["id"]]["segmentation"], h, w)
        union = np.count_nonzero(gt | pred)
        ious.append(np.count_nonzero(gt & pred) / union if union else 1.0)
    return float(np.mean(ious)) if ious else float("nan")


@METHODS.register_module(name="grabcut_mask_rcnn")
class GrabCutMaskRCNN(Method):
    summary = "Mask R-CNN trained on GrabCut masks of the ground-truth boxes (weakly supervised baseline)"

    def build_stages(self) -> list[Stage]:
        return [
            Stage("grabcut_masks", grabcut_masks, "GrabCut masks inside the ground-truth boxes"),
            Stage("train", train, "Mask R-CNN on the GrabCut masks", inputs=("grabcut_masks",), resumable=True),
            Stage("predict_val", predict_val, "instance masks of the eval split (COCO results json)",
                  inputs=("train",)),
            Stage("evaluate_val", detection.evaluate, "mask AP on each class subset (COCO protocol)",
                  inputs=("predict_val",)),
        ]
