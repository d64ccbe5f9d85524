"""mmengine ``BaseMetric`` wrappers around the evaluators, registered in :data:`wsisbench.registry.METRICS`.

A Runner validates with them like with any mmdet metric (``val_evaluator = dict(type='SemanticSegMetric',
num_classes=21)`` with ``default_scope='wsisbench'``). Under DDP mmengine gathers ``self.results`` from every
rank before ``compute_metrics``; the state kept there is small, additive and per image (the nonzero cells of an
image's confusion counts for semantic segmentation, encoded masks for instance segmentation), so padded
duplicates are dropped and the gathered result equals the single-process one.

Data samples (what ``process`` reads; dicts, as mmengine's ``Evaluator`` passes them, or data elements):

- semantic: ``gt_sem_seg`` and ``pred_sem_seg``, each a ``PixelData``/dict with a ``data`` (mmseg) or
  ``sem_seg`` (mmdet) field, a tensor, or a plain numpy array, of shape [H, W] or [1, H, W]. When
  ``gt_sem_seg`` is missing, ``seg_map_path`` (a palette PNG) is read. ``img_path``/``img_id`` name the image.
- instance: see :class:`InstanceSegMetric`.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from wsisbench.errors import DataError
from wsisbench.registry import METRICS

from .semantic import SemanticConfusion


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "numpy")


def _to_numpy(value: Any) -> np.ndarray:
    """A tensor, data element, dict or array -> numpy array (squeezing a leading 1 of a [1, H, W] map)."""
    if not isinstance(value, np.ndarray) and not _is_tensor(value):
        keys = value.keys() if hasattr(value, "keys") else ()
        for key in ("data", "sem_seg"):
            if key in keys:
                value = value[key] if isinstance(value, dict) else getattr(value, key)
                break
    if _is_tensor(value):
        value = value.detach().cpu().numpy()
    value = np.asarray(value)
    if value.ndim == 3 and value.shape[0] == 1:
        value = value[0]
    return value


def _get(sample: Any, key: str, default: Any = None) -> Any:
    if isinstance(sample, dict):
        return sample.get(key, default)
    return getattr(sample, key, default)


def sample_name(sample: Any) -> str | None:
    """The image name a data sample carries (``img_path``, ``img_id`` or ``name``), for error messages."""
    for key in ("img_path", "img_id", "name"):
        value = _get(sample, key)
        if value is not None:
            return str(value)
    return None


@METRICS.register_module()
class SemanticSegMetric(BaseMetric):
    """mIoU, mean accuracy and pixel accuracy (fractions) through :class:`SemanticConfusion`.

    Args:
        num_classes: classes including background (VOC 21, LID 201).
        ignore_index: void ground-truth value (255).
        out_of_range: 'error' | 'background' | 'ignore' for predictions outside ``[0, C-1]``.
        class_names: optional names; with ``per_class=True`` per-class IoU/Acc are returned as
            ``IoU/<name>`` and ``Acc/<name>``.
        collect_device, prefix: as for every mmengine metric.

    ``self.results`` holds one record per image: the nonzero cells of its int64 [C, C+1] confusion counts
    (a few dozen numbers, whatever the image size), summed in ``compute_metrics``. Keeping them per image
    lets mmengine drop the samples that ``DistributedSampler`` pads in, so DDP results equal one process.
    """

    default_prefix = "sem"

    def __init__(self, num_classes: int = 21, ignore_index: int = 255, out_of_range: str = "error",
                 class_names: Sequence[str] | None = None, per_class: bool = False,
                 collect_device: str = "cpu", prefix: str | None = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self._proto = SemanticConfusion(num_classes, ignore_index, out_of_range, class_names)
        self.per_class = per_class

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        cm = self._proto
        for sample in data_samples:
            name = sample_name(sample)
            pred = _get(sample, "pred_sem_seg")
            if pred is None:
                raise DataError(f"data sample {name!r} has no 'pred_sem_seg'")
            gt = _get(sample, "gt_sem_seg")
            if gt is None:
                path = _get(sample, "seg_map_path")
                if path is None:
                    raise DataError(f"data sample {name!r} has neither 'gt_sem_seg' nor 'seg_map_path'")
                from .ground_truth import read_label_png

                gt = read_label_png(path)
            counts = cm.image_counts(_to_numpy(gt), _to_numpy(pred), name=name)
            cells = np.flatnonzero(counts)
            self.results.append({"cells": cells.astype(np.int32), "values": counts.flat[cells]})

    def compute_metrics(self, results: list) -> dict[str, float]:
        p = self._proto
        cm = SemanticConfusion(p.num_classes, p.ignore_index, p.out_of_range, p.class_names)
        total = np.zeros(p.num_classes * (p.num_classes + 1), dtype=np.int64)
        for part in results:
            np.add.at(total, part["cells"], part["values"])
        cm.merge({"counts": total.reshape(p.num_classes, p.num_classes + 1), "num_images": len(results),
                  "num_classes": cm.num_classes, "ignore_index": cm.ignore_index, "out_of_range": cm.out_of_range})
        m = cm.compute()
        out = {k: m[k] for k in ("mIoU", "mIoU_nan0", "mAcc", "mAcc_nan0", "aAcc")}
        if self.per_class:
            for key, values in cm.per_class(m).items():
                out.update({f"{key}/{name}": v for name, v in values.items()})
        return out


def _mask_stack(masks: Any, height: int, width: int) -> list[dict]:
    """Masks as compressed RLEs: bool tensor/array [N, H, W], BitmapMasks, or COCO segmentations."""
    from .masks import encode_masks, to_compressed_rle

    if masks is None:
        return []
    if isinstance(masks, (list, tuple)) and (len(masks) == 0 or isinstance(masks[0], (dict, list))):
        return [to_compressed_rle(m, height, width, "mask") for m in masks]
    if hasattr(masks, "to_ndarray"):  # mmdet BitmapMasks / PolygonMasks
        masks = masks.to_ndarray()
    if _is_tensor(masks):
        masks = masks.detach().cpu().numpy()
    masks = np.asarray(masks)
    if masks.ndim == 2 and masks.shape[0] == 0:
        masks = masks.reshape(0, height, width)
    return encode_masks(masks > 0.5 if masks.dtype.kind == "f" else masks.astype(bool))


def _array(value: Any, dtype) -> np.ndarray:
    if value is None:
        return np.zeros(0, dtype=dtype)
    if _is_tensor(value):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=dtype).reshape(-1)


@METRICS.register_module()
class InstanceSegMetric(BaseMetric):
    """Instance segmentation with the common evaluator (protocols ``voc``, ``voc07``, ``coco``).

    Args:
        protocol: ``voc`` | ``voc07`` | ``coco``.
        iou_thrs: IoU thresholds (default: VOC's 0.25/0.5/0.7/0.75 on VOC-style data, 0.5:0.95 for coco).
        classes: category subset (e.g. ``'nonvoc'`` or a list of names); all images kept.
        class_names: foreground classes, label ``i`` = ``class_names[i]`` (default ``dataset_meta['classes']``).
        ann_file: a COCO json ground truth; without it, the ground truth comes from the data samples.
        voc_style: VOC-style defaults (default: True without ``ann_file``).
        abo: also report ABO (default as :func:`wsisbench.evaluation.api.evaluate_instance`).

    Data samples: ``pred_instances`` with ``masks`` (bool [N, H, W] tensor/array, or RLE dicts), ``labels``
    (0-based) and ``scores``; ``img_id`` (int; required with ``ann_file``), ``img_path``, ``ori_shape``.
    Without ``ann_file``: ``gt_instances`` (``masks`` [M, H, W] or BitmapMasks, ``labels``) or mmdet's raw
    ``instances`` (``mask`` RLE/polygons, ``bbox_label``, ``ignore_flag`` = crowd).
    ``self.results`` holds one small record per image with compressed RLEs.
    """

    default_prefix = "ins"

    def __init__(self, protocol: str = "voc", iou_thrs: Sequence[float] | None = None, classes: Any = None,
                 class_names: Sequence[str] | None = None, ann_file: str | None = None,
                 voc_style: bool | None = None, abo: bool | None = None,
                 collect_device: str = "cpu", prefix: str | None = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.protocol, self.iou_thrs, self.classes = protocol, iou_thrs, classes
        self.class_names = list(class_names) if class_names is not None else None
        self.ann_file, self.abo = ann_file, abo
        self.voc_style = voc_style if voc_style is not None else ann_file is None

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        for sample in data_samples:
            shape = _get(sample, "ori_shape") or _get(sample, "img_shape")
            pred = _get(sample, "pred_instances")
            if pred is None or shape is None:
                raise DataError(f"data sample {sample_name(sample)!r} lacks 'pred_instances' or 'ori_shape'")
            h, w = int(shape[0]), int(shape[1])
            rec = {"img_id": _get(sample, "img_id"), "name": sample_name(sample), "height": h, "width": w,
                   "pred_rles": _mask_stack(_get(pred, "masks"), h, w),
                   "pred_labels": _array(_get(pred, "labels"), np.int64),
                   "pred_scores": _array(_get(pred, "scores"), np.float64)}
            if self.ann_file is None:
                gti = _get(sample, "gt_instances")
                if gti is not None and _get(gti, "masks") is not None:
                    rec["gt_rles"] = _mask_stack(_get(gti, "masks"), h, w)
                    rec["gt_labels"] = _array(_get(gti, "labels"), np.int64)
                    rec["gt_crowd"] = np.zeros(len(rec["gt_rles"]), dtype=bool)
                else:
                    raw = _get(sample, "instances")
                    if raw is None:
                        raise DataError(f"data sample {rec['name']!r} has no ground truth ('gt_instances' or "
                                        f"'instances'); pass ann_file")
                    from .masks import to_compressed_rle

                    rec["gt_rles"] = [to_compressed_rle(r["mask"], h, w, f"image {rec['name']!r}") for r in raw]
                    rec["gt_labels"] = np.array([r["bbox_label"] for r in raw], dtype=np.int64)
                    rec["gt_crowd"] = np.array([bool(r.get("ignore_flag", 0)) for r in raw], dtype=bool)
            self.results.append(rec)

    def _names(self) -> list[str]:
        if self.class_names is not None:
            return self.class_names
        meta = self.dataset_meta or {}
        if "classes" not in meta:
            raise DataError("InstanceSegMetric needs class_names or dataset_meta['classes']")
        return list(meta["classes"])

    def compute_metrics(self, results: list) -> dict[str, float]:
        from .api import evaluate_instance
        from .ground_truth import GtImage, InstanceGroundTruth, load_coco_gt
        from .masks import rle_areas
        from .predictions import InstancePredictions

        names = self._names()
        if self.ann_file is not None:
            gt = load_coco_gt(self.ann_file)
            by_name = {c["name"]: c["id"] for c in gt.categories}
            label_to_cat = [by_name[n] if n in by_name else None for n in names]
            if None in label_to_cat:
                raise DataError(f"{self.ann_file}: classes {[n for n in names if n not in by_name]} are not "
                                f"categories of the annotation file")
            image_ids = []
            for r in results:
                img_id = gt.resolve_image_id(r["img_id"] if r["img_id"] is not None else r["name"])
                if img_id is None:
                    raise DataError(f"image {r['name']!r} (img_id {r['img_id']!r}) is not in {self.ann_file}")
                image_ids.append(img_id)
        else:
            label_to_cat = list(range(1, len(names) + 1))
            images, g_img, g_cat, g_rles, g_crowd = [], [], [], [], []
            for n, r in enumerate(results, start=1):
                images.append(GtImage(n, str(r["name"] or n), r["height"], r["width"]))
                g_img += [n] * len(r["gt_rles"])
                g_cat += [label_to_cat[int(c)] for c in r["gt_labels"]]
                g_rles += r["gt_rles"]
                g_crowd += r["gt_crowd"].tolist()
            cats = [{"id": i + 1, "name": nm} for i, nm in enumerate(names)]
            gt = InstanceGroundTruth(images, cats, np.asarray(g_img, np.int64), np.asarray(g_cat, np.int64),
                                     g_rles, rle_areas(g_rles).astype(np.float64), np.asarray(g_crowd, bool),
                                     source="data samples", layout="voc")
            image_ids = list(range(1, len(results) + 1))
        p_img, p_cat, p_score, p_rles = [], [], [], []
        for img_id, r in zip(image_ids, results):
            k = len(r["pred_rles"])
            if not (len(r["pred_labels"]) == len(r["pred_scores"]) == k):
                raise DataError(f"image {r['name']!r}: {k} masks, {len(r['pred_labels'])} labels, "
                                f"{len(r['pred_scores'])} scores")
            bad = ~np.isfinite(r["pred_scores"]) | (r["pred_scores"] < 0)
            if bad.any():
                raise DataError(f"image {r['name']!r}: score {r['pred_scores'][bad][0]!r} is not a finite "
                                f"number >= 0")
            p_img += [img_id] * k
            p_cat += [label_to_cat[int(c)] for c in r["pred_labels"]]
            p_score += r["pred_scores"].tolist()
            p_rles += r["pred_rles"]
        preds = InstancePredictions(np.asarray(p_img, np.int64), np.asarray(p_cat, np.int64),
                                    np.asarray(p_score, np.float64), p_rles, rle_areas(p_rles), "model outputs")
        entry = evaluate_instance(gt, preds, self.protocol, self.iou_thrs, self.classes, abo=self.abo,
                                  voc_style=self.voc_style)
        return dict(entry["metrics"])
