"""High-level evaluation used by ``wsisbench eval`` and the run pipeline.

Each function returns one entry of result.json's ``evaluations`` (CONTRACTS.md)::

    {"protocol": "voc", "task": "instance", "split": "val", "metrics": {"mAP@0.5": 0.41, ...},
     "per_class": {"AP@0.5": {"aeroplane": 0.5, ...}, ...}, "num_images": 1449, ...}

Protocols: ``voc`` (all-point AP, chainercv matching; the default on VOC-style data), ``voc07`` (11-point),
``coco`` (pycocotools segm: with COCO's thresholds 0.5:0.95 the 12 stats ``AP`` ... ``ARl``; with other
thresholds, e.g. 0.25/0.5/0.7/0.75 on VOC-style data, ``mAP@<t>``; the raw 12 stats are always in ``stats``)
and ``semantic``. Instance evaluations on VOC-style data also report ABO (pooled and class mean).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from wsisbench.errors import DataError

from .abo import average_best_overlap
from .coco_mask import COCO_IOU_THRESHOLDS, evaluate_coco_segm
from .ground_truth import InstanceGroundTruth, load_coco_gt, load_voc_instance_gt
from .instance_matching import match_by_image
from .per_image import SemanticStats, semantic_stats
from .predictions import InstancePredictions, iter_semantic_pairs, load_instance_predictions
from .semantic import SemanticConfusion
from .voc_instance import VOC_IOU_THRESHOLDS, evaluate_voc_instance

INSTANCE_PROTOCOLS = ("voc", "voc07", "coco")
PROTOCOLS = INSTANCE_PROTOCOLS + ("semantic",)


# ----------------------------------------------------------------------------- inputs
def is_coco_json(path: str | os.PathLike) -> bool:
    return Path(path).is_file() and Path(path).suffix.lower() == ".json"


def load_instance_gt(path: str | os.PathLike, split: str | None = None,
                     class_names: Sequence[str] | None = None) -> InstanceGroundTruth:
    """Instance ground truth from a COCO json file or a VOC-layout root (then ``split`` is required)."""
    path = Path(path)
    if is_coco_json(path):
        return load_coco_gt(path)
    if path.is_dir():
        if not split:
            raise DataError(f"{path}: a VOC-layout ground truth needs --split (e.g. val)")
        return load_voc_instance_gt(path, split, class_names=class_names, progress=True)
    raise DataError(f"{path}: ground truth must be a COCO json file or a VOC-layout folder")


def resolve_classes(spec: str | Iterable[int | str] | None, gt: InstanceGroundTruth) -> list[int] | None:
    """Category ids named by ``spec``: ``'voc'`` / ``'nonvoc'`` (the 20 VOC classes as COCO ids and the
    other 60), ``'all'``, or ids / names of ``gt``'s categories (a list, or a comma-separated string)."""
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec.lower() == "all":
            return None
        if spec.lower() not in ("voc", "nonvoc", "non-voc", "non_voc"):
            spec = [s.strip() for s in spec.split(",") if s.strip()]
    if not isinstance(spec, str):
        spec = [int(s) if isinstance(s, str) and s.lstrip("-").isdigit() else s for s in spec]
    from wsisbench.datasets.coco import resolve_category_subset

    ids = resolve_category_subset(spec, gt.categories)
    if not ids:
        raise DataError("the class subset is empty")
    return sorted(ids)


def default_iou_thrs(protocol: str, gt: InstanceGroundTruth, voc_style: bool | None = None) -> list[float]:
    """VOC thresholds (0.25/0.5/0.7/0.75) for ``voc``/``voc07`` and for ``coco`` on VOC-style data,
    COCO's 0.5:0.95 for ``coco`` on COCO data (``voc_style`` defaults to ``gt.layout == 'voc'``)."""
    if voc_style is None:
        voc_style = gt.layout == "voc"
    if protocol == "coco" and not voc_style:
        return COCO_IOU_THRESHOLDS.tolist()
    return list(VOC_IOU_THRESHOLDS)


# ----------------------------------------------------------------------------- instance
def evaluate_instance(gt: InstanceGroundTruth | str | os.PathLike,
                      predictions: InstancePredictions | str | os.PathLike | list,
                      protocol: str = "voc", iou_thrs: Sequence[float] | None = None,
                      classes: str | Iterable[int | str] | None = None, split: str | None = None,
                      abo: bool | None = None, voc_style: bool | None = None,
                      per_image: bool | str | os.PathLike = False) -> dict[str, Any]:
    """Score instance predictions; returns an ``evaluations`` entry.

    Args:
        gt: ground truth (object, COCO json path, or VOC root with ``split``).
        predictions: checked predictions, a COCO results json path, or its records.
        protocol: ``voc`` | ``voc07`` | ``coco``.
        iou_thrs: thresholds (default :func:`default_iou_thrs`).
        classes: category subset (:func:`resolve_classes`); all images are kept.
        abo: add ABO (default: for ``voc``/``voc07``, and ``coco`` on VOC-style data).
        voc_style: treat the data as VOC-style for defaults (default: VOC-layout ground truth).
        per_image: also keep the per-image statistics (:mod:`wsisbench.evaluation.per_image`: AP parts for
            the protocol, ABO when reported): a path writes them there as ``.npz`` and ``entry["per_image"]``
            is that path (a stage records it relative to the run, see ``per_image.stage_file``); ``True``
            puts the :class:`~wsisbench.evaluation.per_image.PerImageStats` object itself in
            ``entry["per_image"]`` (not JSON: for callers that use it directly).
    """
    if protocol not in INSTANCE_PROTOCOLS:
        raise DataError(f"unknown instance protocol {protocol!r}; valid: {', '.join(INSTANCE_PROTOCOLS)}")
    if not isinstance(gt, InstanceGroundTruth):
        gt = load_instance_gt(gt, split)
    if not isinstance(predictions, InstancePredictions):
        predictions = load_instance_predictions(predictions, gt)
    if voc_style is None:
        voc_style = gt.layout == "voc"
    cat_ids = resolve_classes(classes, gt)
    thrs = [float(t) for t in (iou_thrs if iou_thrs is not None else default_iou_thrs(protocol, gt, voc_style))]
    for t in thrs:
        if not 0.0 < t <= 1.0:
            raise DataError(f"IoU threshold {t} is outside (0, 1]")
    if abo is None:
        abo = protocol in ("voc", "voc07") or voc_style
    entry: dict[str, Any] = {"protocol": protocol, "task": "instance"}
    if split is not None:
        entry["split"] = split
    matches = match_by_image(gt, predictions, cat_ids) if (protocol != "coco" or abo) else None
    parts = []
    if protocol == "coco":
        result = evaluate_coco_segm(gt, predictions, cat_ids, thrs, per_image=bool(per_image))
        entry["stats"] = result["stats"]  # pycocotools' 12 stats for these thresholds (-1 = undefined)
        entry["stat_names"] = result["stat_names"]
        entry["pr_curves"], entry["pr_curves_iou"] = result["pr_curves"], result["pr_curves_iou"]
        if per_image:
            parts.append(result["per_image"])
    else:
        result = evaluate_voc_instance(gt, predictions, thrs, protocol, cat_ids, matches=matches)
        if per_image:
            from .per_image import voc_detection_stats

            parts.append(voc_detection_stats(gt, predictions, matches, thrs, protocol,
                                             gt.subset_categories(cat_ids)))
    metrics, per_class = dict(result["metrics"]), dict(result["per_class"])
    if abo:
        a = average_best_overlap(gt, predictions, cat_ids, class_agnostic=True, matches=matches)
        metrics.update(a["metrics"])
        per_class.update(a["per_class"])
        if per_image:
            from .per_image import abo_stats

            parts.append(abo_stats(gt, matches, gt.subset_categories(cat_ids)))
    cats = gt.subset_categories(cat_ids)
    names = gt.category_names
    gt_cats = gt.category_ids[~gt.iscrowd]
    entry.update({
        "iou_thrs": thrs,
        "metrics": metrics,
        "per_class": per_class,
        "classes": [names[c] for c in cats],
        "class_subset": classes if isinstance(classes, str) or classes is None else [str(c) for c in classes],
        "num_images": len(gt.images),
        "num_predictions": int(np.count_nonzero(np.isin(predictions.category_ids, cats))),
        "num_gt": int(np.count_nonzero(np.isin(gt_cats, cats))),
        "num_gt_crowd": int(np.count_nonzero(gt.iscrowd & np.isin(gt.category_ids, cats))),
        "ground_truth": gt.source,
        "predictions": predictions.source,
    })
    if protocol == "voc":
        entry["notes"] = "chainercv VOC rules: argmax-IoU GT without fallback, all-point AP, float32 IoU"
    elif protocol == "voc07":
        entry["notes"] = "chainercv VOC rules: argmax-IoU GT without fallback, 11-point AP, float32 IoU"
    else:
        entry["notes"] = ("pycocotools COCOeval segm (via faster-coco-eval); mAP@t at area all, maxDets 100; "
                          "category subsets keep every image")
    if abo:
        entry["notes"] += "; ABO = best IoU of each GT with any prediction of its image (pooled / class mean)"
    if per_image:
        from .per_image import instance_stats

        stats = instance_stats(gt, parts, {"protocol": protocol, "class_names": entry["classes"],
                                           "cat_ids": [int(c) for c in cats], "iou_thrs": thrs})
        entry["per_image"] = _keep_per_image(stats, per_image)
    return entry


def _keep_per_image(stats, per_image: bool | str | os.PathLike, write: bool = True):
    """``stats`` itself (``per_image is True``), or the path it is written to (``write`` on the main rank)."""
    if per_image is True:
        return stats
    if write:
        stats.save(per_image)
    return str(per_image)


# ----------------------------------------------------------------------------- semantic
def semantic_gt_pairs(gt: str | os.PathLike, split: str | None = None) -> list[tuple[str, Path]]:
    """``(name, gt_png)`` pairs: a VOC-layout root with ``split`` (``SegmentationClass``), or a folder of
    label PNGs (every ``*.png``, names = file stems)."""
    path = Path(gt)
    from wsisbench.datasets.voc import read_id_list, resolve_voc_root

    voc = resolve_voc_root(path)
    if (voc / "SegmentationClass").is_dir():
        if not split:
            raise DataError(f"{voc}: a VOC-layout ground truth needs --split (e.g. val)")
        ids = read_id_list(voc / "ImageSets" / "Segmentation" / f"{split}.txt")
        return [(i, voc / "SegmentationClass" / f"{i}.png") for i in ids]
    if path.is_dir():
        pngs = sorted(path.glob("*.png"))
        if not pngs:
            raise DataError(f"{path}: no ground-truth label PNGs")
        return [(p.stem, p) for p in pngs]
    raise DataError(f"{path}: semantic ground truth must be a VOC-layout root or a folder of label PNGs")


def evaluate_semantic(gt_pairs: Sequence[tuple[str, Path]], pred_dir: str | os.PathLike,
                      class_names: Sequence[str], ignore_index: int = 255, out_of_range: str = "error",
                      split: str | None = None, progress: bool = True,
                      per_image: bool | str | os.PathLike = False) -> dict[str, Any]:
    """Score a folder of PNG label maps ``<pred_dir>/<name>.png``; returns an ``evaluations`` entry.

    Under a distributed launch each process scores its share of the images and the confusion matrices are
    summed, so the metrics equal a one-process evaluation exactly.

    Args:
        gt_pairs: ``(name, gt_png)`` pairs (:func:`semantic_gt_pairs`).
        class_names: all C class names, background first (C = 21 for VOC, 201 for LID).
        out_of_range: 'error' | 'background' | 'ignore' for predicted values outside [0, C-1].
        per_image: also keep per-image statistics (:class:`~wsisbench.evaluation.per_image.SemanticStats`,
            gathered from every process, in ``gt_pairs`` order): a path writes them there (main rank) and
            ``entry["per_image"]`` is that path; ``True`` puts the object itself in ``entry["per_image"]``.
    """
    from mmengine.dist import get_dist_info

    rank, world = get_dist_info()
    cm = SemanticConfusion(len(class_names), ignore_index, out_of_range, class_names)
    gt_pairs = list(gt_pairs)
    mine = gt_pairs[rank::world]
    pairs = iter_semantic_pairs(mine, pred_dir)
    if progress and rank == 0:
        from wsisbench.utils.progress import progress as bar

        pairs = bar(pairs, total=len(mine), desc=f"evaluate {split or ''}".strip(), leave=False)
    rows: dict[str, tuple] = {}
    C = len(class_names)
    for name, g, p in pairs:
        where = str(Path(pred_dir) / f"{name}.png")
        if not per_image:
            cm.update(g, p, name=where)
            continue
        counts = cm.image_counts(g, p, name=where)
        cm.merge({"counts": counts, "num_images": 1, "num_classes": cm.num_classes, "ignore_index": cm.ignore_index,
                  "out_of_range": cm.out_of_range})
        rows[str(name)] = SemanticStats.image_row(counts, C)
    entry = cm.gathered().entry(split, predictions=str(pred_dir))
    if per_image:
        if world > 1:
            from mmengine.dist import all_gather_object

            for part in all_gather_object(rows):
                rows.update(part)
        names = [str(n) for n, _ in gt_pairs]
        stats = semantic_stats(names, [rows[n] for n in names], C, class_names, out_of_range)
        entry["per_image"] = _keep_per_image(stats, per_image, write=rank == 0)
    return entry
