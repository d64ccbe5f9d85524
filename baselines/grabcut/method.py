"""The two GrabCut baselines of Mask^X R-CNN's Table 3.5, built on the ``maskx_rcnn`` stages.

``grabcut_boxes`` -- 'Faster R-CNN tested w/ GrabCut' (unsupervised masks):
    train_detector   Faster R-CNN on the boxes of A and B (or ``detector_weights`` of an earlier run)
    predict_val      detections; each box's mask is GrabCut's foreground inside it
    evaluate_val     mask AP on each subset of ``split.evaluate``

``grabcut_mask_rcnn`` -- 'Mask R-CNN trained w/ GrabCut' (weakly supervised, like Khoreva et al. 2017):
    grabcut_masks    GrabCut inside the ground-truth boxes of ``grabcut_classes`` -> a new train json
                     (default 'B': A keeps its real masks, B gets GrabCut masks; 'all': every class)
    train            class-specific Mask R-CNN on those masks, end to end
    predict_val, evaluate_val as above

Config keys: ``grabcut = dict(iters=5, margin=0.15, min_margin=4)`` (:func:`grabcut_in_box` arguments),
``grabcut_classes`` (a class subset, see :mod:`wsisbench.methods.mask_x_rcnn.class_split`).
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

import mmcv
import numpy as np

from wsisbench.datasets.rle import decode_segmentation
from wsisbench.methods.mask_x_rcnn import stages
from wsisbench.methods.mask_x_rcnn.class_split import resolve_class_subset
from wsisbench.methods.mask_x_rcnn.data import annotation_path
from wsisbench.methods.mask_x_rcnn.model_config import detector_only
from wsisbench.pipeline import Method, RunContext, Stage
from wsisbench.pipeline.training import WEIGHTS_NAME
from wsisbench.registry import METHODS
from wsisbench.utils.atomic import atomic_write_json

from .grabcut import grabcut_boxes
from .pseudo_masks import grabcut_annotation_masks, group_by_image, load_coco, replace_masks

#: the train annotations with GrabCut masks, in the grabcut_masks stage
GRABCUT_JSON = "instances_train_grabcut.json"


def _grabcut_kwargs(ctx: RunContext) -> dict:
    return dict(ctx.cfg.get("grabcut", {}) or {})


def _mask_fn(image_path: str, boxes: np.ndarray, labels, scores, *, kwargs: dict) -> np.ndarray:
    return grabcut_boxes(mmcv.imread(image_path), boxes, **kwargs)


@METHODS.register_module(name="grabcut_boxes")
class GrabCutBoxes(Method):
    summary = "Faster R-CNN boxes segmented by GrabCut (Mask^X R-CNN's unsupervised baseline)"

    def __init__(self, cfg):
        super().__init__(cfg)
        stages.check_inputs(cfg)

    def build_stages(self) -> list[Stage]:
        return [
            Stage("train_detector", stages.train_detector, "Faster R-CNN on the boxes of all classes",
                  resumable=True),
            Stage("predict_val", self.predict_val, "detections + GrabCut inside each box (COCO results json)"),
            Stage("evaluate_val", stages.evaluate, "mask AP on each class subset (COCO protocol)"),
        ]

    def predict_val(self, ctx: RunContext, out_dir: Path) -> dict:
        model = detector_only(stages.full_model(ctx, with_imagenet=False))
        weights = stages.detector_weights_of(ctx.stage_dir("train_detector"))
        return stages.predict(ctx, out_dir, weights, model,
                              mask_fn=partial(_mask_fn, kwargs=_grabcut_kwargs(ctx)))


@METHODS.register_module(name="grabcut_mask_rcnn")
class GrabCutMaskRCNN(Method):
    summary = "Mask R-CNN trained on GrabCut masks of the ground-truth boxes (weakly supervised baseline)"

    def __init__(self, cfg):
        super().__init__(cfg)
        stages.check_inputs(cfg)

    def build_stages(self) -> list[Stage]:
        return [
            Stage("grabcut_masks", self.grabcut_masks, "GrabCut masks inside the ground-truth boxes"),
            Stage("train", self.train, "Mask R-CNN on the GrabCut masks", resumable=True),
            Stage("predict_val", self.predict_val, "instance masks of the eval split (COCO results json)"),
            Stage("evaluate_val", stages.evaluate, "mask AP on each class subset (COCO protocol)"),
        ]

    def grabcut_masks(self, ctx: RunContext, out_dir: Path) -> dict:
        from mmengine.dist import all_gather_object

        src = annotation_path(ctx, "train_ann")
        dataset = load_coco(src)
        names = resolve_class_subset(ctx.cfg.get("grabcut_classes", "B"), stages.class_names(ctx),
                                     ctx.benchmark.embedded)
        by_name = {c["name"]: c["id"] for c in dataset["categories"]}
        cat_ids = None if names is None else {by_name[n] for n in names}
        img_dir = Path(ctx.data_root) / ctx.cfg.data.train_img
        masks = grabcut_annotation_masks(ctx.shard(dataset["images"]), group_by_image(dataset["annotations"]),
                                         img_dir, cat_ids, _grabcut_kwargs(ctx), show=ctx.is_main)
        if ctx.distributed:
            merged: dict = {}
            for part in all_gather_object(masks):
                merged.update(part)
            masks = merged
        summary = {"num_grabcut_masks": len(masks), "grabcut_classes": names or "all",
                   "grabcut_vs_gt_mean_iou": _mean_iou(dataset, masks)}
        if ctx.is_main:
            atomic_write_json(out_dir / GRABCUT_JSON, replace_masks(dataset, masks))
            ctx.log(f"  {len(masks)} GrabCut masks, mean IoU with the true masks "
                    f"{summary['grabcut_vs_gt_mean_iou']:.3f} (reported only; never used in training)")
        return summary

    def train(self, ctx: RunContext, out_dir: Path) -> dict:
        return stages.train_end_to_end(ctx, out_dir, ann_file=ctx.stage_dir("grabcut_masks") / GRABCUT_JSON,
                                       all_masks=True)

    def predict_val(self, ctx: RunContext, out_dir: Path) -> dict:
        model = stages.full_model(ctx, with_imagenet=False)
        model["roi_head"]["mask_train_labels"] = None
        return stages.predict(ctx, out_dir, ctx.stage_dir("train") / WEIGHTS_NAME, model)


def _mean_iou(dataset: dict, masks: dict[int, dict]) -> float:
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
