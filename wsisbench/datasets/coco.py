"""COCO 2017 instances as an mmdet dataset, with the class-split views of partially supervised methods.

Mask^X R-CNN trains with boxes of all classes (A and B) but masks of A only, and reports mask AP on A
and on B separately. This reader gives both views from one official ``instances_*.json``:

- ``mask_classes``: classes whose instances keep their mask (A). Every other instance keeps its box and
  label but carries ``has_mask=False`` and an all-zero RLE placeholder (so mmdet's
  ``LoadAnnotations(with_mask=True)`` still works; a method must not train masks where ``has_mask`` is
  False).
- ``keep_classes``: classes whose annotations are kept at all (evaluation on A or on B). ALL images stay
  (evaluation-protocols.md section 2: restricting images to those containing the subset changes AP).

Class subsets are given as ``'voc'`` / ``'nonvoc'`` (the 20 VOC / 60 other COCO category ids), or a list
of category ids or names. Labels stay in the full label space of ``metainfo['classes']`` (80 for COCO),
so a model predicting all classes is scored on a subset without relabelling.

Each sample: ``img_path``, ``img_id`` (str of the COCO image id), ``coco_img_id`` (int), ``height``,
``width``, ``image_labels`` (sorted 0-based labels of the kept annotations, crowd included), and
``instances`` (``bbox`` xyxy pixels, ``bbox_label``, ``mask`` as in the json (polygons or RLE),
``ignore_flag`` 1 for crowd, ``category_id``, ``ann_id``, ``has_mask``).
"""
from __future__ import annotations

import contextlib
import copy
import io
import os.path as osp
from typing import Any, Iterable

from mmdet.datasets import CocoDataset

from wsisbench.errors import DataError
from wsisbench.registry import DATASETS

from .class_names import NONVOC_COCO_CATEGORY_IDS, VOC_COCO_CATEGORY_IDS

_NAMED_SUBSETS = {"voc": VOC_COCO_CATEGORY_IDS, "nonvoc": NONVOC_COCO_CATEGORY_IDS,
                  "non-voc": NONVOC_COCO_CATEGORY_IDS, "non_voc": NONVOC_COCO_CATEGORY_IDS}


def resolve_category_subset(spec: str | Iterable[int | str] | None,
                            categories: list[dict[str, Any]]) -> set[int] | None:
    """Category ids named by ``spec`` (``None`` -> ``None`` meaning all).

    ``spec``: ``'voc'``, ``'nonvoc'``, or a list of category ids / names present in ``categories``
    (the json's ``categories`` list). Unknown names or ids raise :class:`DataError`.
    """
    if spec is None:
        return None
    by_name = {c["name"]: c["id"] for c in categories}
    known = set(by_name.values())
    if isinstance(spec, str):
        if spec.lower() not in _NAMED_SUBSETS:
            raise DataError(f"unknown class subset {spec!r}; use 'voc', 'nonvoc' or a list of ids/names")
        ids = set(_NAMED_SUBSETS[spec.lower()])
    else:
        ids = set()
        for item in spec:
            if isinstance(item, str):
                if item not in by_name:
                    raise DataError(f"class {item!r} is not a category of the annotation file")
                ids.add(by_name[item])
            else:
                ids.add(int(item))
    unknown = sorted(ids - known)
    if unknown:
        raise DataError(f"category ids {unknown} are not in the annotation file's categories")
    return ids


@DATASETS.register_module()
class CocoSplitDataset(CocoDataset):
    """COCO instances with image labels and optional A/B class-split views.

    Args:
        mask_classes: subset whose masks are kept (A); ``None`` keeps every mask.
        keep_classes: subset whose annotations are kept; ``None`` keeps all (images are always all kept).
        **kwargs: :class:`mmdet.datasets.CocoDataset` arguments (``ann_file``, ``data_root``,
            ``data_prefix=dict(img=...)``, ``metainfo``, ``filter_cfg``, ``pipeline``, ...).
    """

    def __init__(self, *args, mask_classes=None, keep_classes=None, **kwargs):
        self.mask_classes = mask_classes
        self.keep_classes = keep_classes
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> list[dict]:
        if not osp.isfile(self.ann_file):
            raise DataError(f"{self.ann_file}: COCO annotation file is missing")
        with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
            try:
                coco = self.COCOAPI(self.ann_file)
            except (ValueError, KeyError, TypeError) as e:
                raise DataError(f"{self.ann_file}: not a COCO instances file ({e})") from None
        categories = coco.dataset.get("categories", [])
        self._mask_ids = resolve_category_subset(self.mask_classes, categories)
        self._keep_ids = resolve_category_subset(self.keep_classes, categories)
        # Label k is metainfo['classes'][k], whatever the order of the json's categories: labels follow the
        # run's class names (and so do the methods' class subsets), category ids are looked up by name.
        by_name = {c["name"]: c["id"] for c in categories}
        missing = [n for n in self.metainfo["classes"] if n not in by_name]
        if missing:
            raise DataError(f"{self.ann_file}: classes {missing[:5]} are not categories of the annotation file")
        self.cat_ids = [by_name[n] for n in self.metainfo["classes"]]
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        self.cat_img_map = copy.deepcopy(coco.cat_img_map)
        data_list = []
        for img_id in coco.get_img_ids():
            raw_img = dict(coco.load_imgs([img_id])[0], img_id=img_id)
            anns = coco.load_anns(coco.get_ann_ids(img_ids=[img_id]))
            data_list.append(self.parse_data_info(dict(raw_img_info=raw_img, raw_ann_info=anns)))
        ann_ids = [a["id"] for a in coco.dataset.get("annotations", [])]
        if len(set(ann_ids)) != len(ann_ids):
            raise DataError(f"{self.ann_file}: annotation ids are not unique")
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> dict:
        img = raw_data_info["raw_img_info"]
        height, width = int(img["height"]), int(img["width"])
        info = dict(img_path=osp.join(self.data_prefix.get("img", ""), img["file_name"]),
                    img_id=str(img["img_id"]), coco_img_id=img["img_id"], height=height, width=width,
                    seg_map_path=None)
        instances = []
        for ann in raw_data_info["raw_ann_info"]:
            cat = ann["category_id"]
            if cat not in self.cat2label or ann.get("ignore", False):
                continue
            if self._keep_ids is not None and cat not in self._keep_ids:
                continue
            x, y, w, h = ann["bbox"]
            visible_w = max(0.0, min(x + w, width) - max(x, 0.0))
            visible_h = max(0.0, min(y + h, height) - max(y, 0.0))
            if visible_w * visible_h == 0 or ann.get("area", 1) <= 0 or w < 1 or h < 1:
                continue  # degenerate boxes, as mmdet drops them
            has_mask = self._mask_ids is None or cat in self._mask_ids
            segm = ann.get("segmentation")
            if not has_mask or not segm:
                segm = _empty_rle(height, width)
                has_mask = has_mask and bool(ann.get("segmentation"))
            instances.append(dict(bbox=[x, y, x + w, y + h], bbox_label=self.cat2label[cat], mask=segm,
                                  ignore_flag=1 if ann.get("iscrowd", 0) else 0, category_id=cat,
                                  ann_id=ann.get("id"), has_mask=has_mask))
        info["instances"] = instances
        info["image_labels"] = sorted({inst["bbox_label"] for inst in instances})
        return info

    def filter_data(self) -> list[dict]:
        """Training only: ``filter_empty_gt`` drops images without kept instances; ``min_size`` (pixels)
        drops images whose shorter side is smaller."""
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        empty = self.filter_cfg.get("filter_empty_gt", False)
        min_size = self.filter_cfg.get("min_size", 0)
        return [d for d in self.data_list
                if (not empty or any(not i["ignore_flag"] for i in d["instances"]))
                and min(d["width"], d["height"]) >= min_size]


_EMPTY_RLE_CACHE: dict[tuple[int, int], dict] = {}


def _empty_rle(height: int, width: int) -> dict:
    """All-zero mask of ``height x width`` as compressed RLE (str counts)."""
    key = (height, width)
    if key not in _EMPTY_RLE_CACHE:
        import numpy as np

        from .rle import encode_mask, json_rle

        _EMPTY_RLE_CACHE[key] = json_rle(encode_mask(np.zeros(key, dtype=bool)))
    return dict(_EMPTY_RLE_CACHE[key])
