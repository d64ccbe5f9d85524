"""PASCAL VOC 2012 segmentation (and SBD) as mmengine datasets.

Layout (``data_root`` is ``VOCdevkit/VOC2012`` or a folder that contains ``VOC2012/``)::

    JPEGImages/<id>.jpg
    SegmentationClass/<id>.png       palette indices: 0 background, 1..K classes, 255 void
    SegmentationObject/<id>.png      palette indices: 0 none, 1..n instances, 255 void
    ImageSets/Segmentation/<split>.txt

Splits: any ``ImageSets/Segmentation/<split>.txt`` (``train`` 1,464, ``val`` 1,449, ``trainval``), or
``train_aug`` = (SBD train + SBD val + VOC train) minus VOC val (10,582 images with the official data),
which needs SBD (``sbd_root``, default a sibling ``SBD/`` or ``benchmark_RELEASE/`` of ``VOC2012/``;
``benchmark_RELEASE`` or its ``dataset/`` folder: ``cls/``, ``inst/``, ``train.txt``, ``val.txt``). A
``train_aug.txt`` in ``ImageSets/Segmentation/`` or in the SBD folder, when present, gives the ids instead. In
``train_aug`` an image with VOC 2012 ground truth (listed in VOC's ``train.txt``/``val.txt``) is read from the
VOC PNGs, every other one from SBD's ``.mat`` files (``gt_source`` says which).

Each sample: ``img_path``, ``img_id`` (the VOC id, str), ``height``, ``width`` (pixels), ``image_labels``
(sorted 0-based foreground classes present in the class map, void excluded), ``seg_map_path``,
``obj_map_path``, ``gt_source``; with ``with_instances`` also mmdet-style ``instances`` (``bbox`` xyxy
pixels, ``bbox_label`` 0-based, ``mask`` compressed RLE with str counts, ``ignore_flag`` 0).

``metainfo['classes']`` are the K foreground classes (VOC's 20 unless a config passes its own, e.g. the
embedded benchmark's ``meta.json`` classes); ``metainfo['semantic_classes']`` prepends ``'background'``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mmengine.dataset import BaseDataset
from tqdm import tqdm

from wsisbench.errors import DataError
from wsisbench.registry import DATASETS

from .class_names import VOC_CLASSES, voc_palette
from .rle import encode_mask, json_rle, mask_bbox_xywh
from .voc_instances import image_labels_from_class_map, instances_from_maps, read_label_map

DEFAULT_VOC_PREFIX = dict(img_path="JPEGImages", seg_map_path="SegmentationClass",
                          obj_map_path="SegmentationObject")


def resolve_voc_root(data_root: str | os.PathLike) -> Path:
    """``data_root`` itself if it holds ``JPEGImages/``, else its ``VOC2012/`` (or ``VOCdevkit/VOC2012``)."""
    root = Path(data_root)
    if (root / "JPEGImages").is_dir() or (root / "ImageSets").is_dir():
        return root
    for sub in ("VOC2012", "VOCdevkit/VOC2012"):
        if (root / sub).is_dir():
            return root / sub
    return root


def resolve_sbd_root(sbd_root: str | os.PathLike) -> Path:
    """SBD's folder with ``cls/``/``inst/``: ``sbd_root`` or its ``dataset/`` sub-folder."""
    root = Path(sbd_root)
    if not (root / "cls").is_dir() and (root / "dataset" / "cls").is_dir():
        return root / "dataset"
    return root


def read_id_list(path: str | os.PathLike) -> list[str]:
    """Image ids of a split list file (one id per line, blank lines skipped)."""
    path = Path(path)
    try:
        lines = path.read_text().split()
    except FileNotFoundError:
        raise DataError(f"{path}: split list file is missing") from None
    return [line.strip() for line in lines if line.strip()]


def class_palette(num_classes: int) -> list[tuple[int, int, int]]:
    """VOC colours of classes 1..K as RGB tuples (mmdet's ``metainfo['palette']`` form)."""
    flat = voc_palette(256)
    return [tuple(flat[3 * k: 3 * k + 3]) for k in range(1, num_classes + 1)]


def build_instances(obj_map, cls_map, name: str) -> list[dict[str, Any]]:
    """mmdet-style instances of one image from its object and class maps (``uint8[H, W]`` each)."""
    masks, labels = instances_from_maps(obj_map, cls_map, name)
    instances = []
    for mask, label in zip(masks, labels):
        x, y, w, h = mask_bbox_xywh(mask)
        instances.append(dict(bbox=[x, y, x + w, y + h], bbox_label=int(label), mask=json_rle(encode_mask(mask)),
                              ignore_flag=0))
    return instances


@DATASETS.register_module()
class VOCSegDataset(BaseDataset):
    """VOC 2012 semantic segmentation with image labels (and optionally instances).

    Args:
        data_root: ``VOCdevkit/VOC2012`` or a folder containing ``VOC2012/``.
        split: name of ``ImageSets/Segmentation/<split>.txt``, or ``'train_aug'``.
        ann_file: an explicit split list (overrides ``split``'s file).
        sbd_root: SBD folder (absolute or relative to ``data_root``) for ``train_aug``; by default a sibling
            ``SBD/`` or ``benchmark_RELEASE/`` of the VOC2012 folder.
        with_instances: also build ``instances`` (reads every object map at load time).
        show_progress: tqdm bar while reading the label maps.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset` (``metainfo``, ``pipeline``, ...).
    """

    METAINFO = dict(classes=VOC_CLASSES, palette=class_palette(len(VOC_CLASSES)))

    def __init__(self, data_root: str = "", split: str = "train", ann_file: str = "",
                 sbd_root: str | None = None, data_prefix: dict | None = None, with_instances: bool = False,
                 show_progress: bool = True, **kwargs):
        self.split = split
        self.with_instances = with_instances
        self.show_progress = show_progress
        root = resolve_voc_root(data_root) if data_root else Path(".")
        self.sbd_root = None if sbd_root is None else str(root / sbd_root)  # absolute paths stay absolute
        self._sbd: Path | None = None
        if not ann_file and split != "train_aug":
            ann_file = f"ImageSets/Segmentation/{split}.txt"
        prefix = dict(DEFAULT_VOC_PREFIX)
        prefix.update(data_prefix or {})
        super().__init__(ann_file=ann_file, data_root=str(root), data_prefix=prefix, **kwargs)

    @classmethod
    def _load_metainfo(cls, metainfo=None) -> dict:
        meta = super()._load_metainfo(metainfo)
        classes = tuple(meta["classes"])
        if classes and classes[0].lower() in ("background", "_background_", "__background__"):
            raise ValueError("metainfo['classes'] lists foreground classes only; drop 'background' "
                             "(it is label 0 and is added as metainfo['semantic_classes'][0])")
        meta["classes"] = classes
        if len(meta.get("palette") or ()) != len(classes):
            meta["palette"] = class_palette(len(classes))
        meta["semantic_classes"] = ("background",) + classes
        meta.setdefault("ignore_index", 255)
        return meta

    # -- listing -----------------------------------------------------------------------------------
    def _sbd_dir(self) -> Path | None:
        """The SBD folder: ``sbd_root`` if given, else a sibling ``SBD/`` or ``benchmark_RELEASE/`` of VOC2012."""
        if self.sbd_root is not None:
            return resolve_sbd_root(self.sbd_root)
        for name in ("SBD", "benchmark_RELEASE"):
            cand = resolve_sbd_root(Path(self.data_root).parent / name)
            if (cand / "cls").is_dir():
                return cand
        return None

    def _sample_sources(self) -> list[tuple[str, str]]:
        """``(img_id, 'voc' | 'sbd')`` for every image of the split, in list order."""
        if self.split != "train_aug" or self.ann_file:
            return [(i, "voc") for i in read_id_list(self.ann_file)]
        sets = Path(self.data_root) / "ImageSets" / "Segmentation"
        voc_train, voc_val = read_id_list(sets / "train.txt"), read_id_list(sets / "val.txt")
        sbd = self._sbd_dir()
        if (sets / "train_aug.txt").is_file():
            ids = read_id_list(sets / "train_aug.txt")
        elif sbd is not None and (sbd / "train_aug.txt").is_file():
            ids = read_id_list(sbd / "train_aug.txt")
        elif sbd is not None:
            union = set(read_id_list(sbd / "train.txt")) | set(read_id_list(sbd / "val.txt")) | set(voc_train)
            ids = sorted(union - set(voc_val))
        else:
            raise DataError(f"split 'train_aug' needs SBD: pass sbd_root, or put SBD's dataset folder (cls/, inst/, "
                            f"train.txt, val.txt) at {Path(self.data_root).parent / 'SBD'}")
        with_voc_gt = set(voc_train) | set(voc_val)
        if sbd is None and not set(ids) <= with_voc_gt:
            raise DataError("split 'train_aug' lists images without VOC ground truth; pass sbd_root")
        self._sbd = sbd
        return [(i, "voc" if i in with_voc_gt else "sbd") for i in ids]

    def _paths(self, img_id: str, source: str) -> tuple[str, str, str]:
        img = os.path.join(self.data_prefix["img_path"], img_id + ".jpg")
        if source == "voc":
            return (img, os.path.join(self.data_prefix["seg_map_path"], img_id + ".png"),
                    os.path.join(self.data_prefix["obj_map_path"], img_id + ".png"))
        sbd = self._sbd
        if not os.path.exists(img) and (sbd / "img" / f"{img_id}.jpg").exists():
            img = str(sbd / "img" / f"{img_id}.jpg")
        return img, str(sbd / "cls" / f"{img_id}.mat"), str(sbd / "inst" / f"{img_id}.mat")

    # -- loading -----------------------------------------------------------------------------------
    def load_data_list(self) -> list[dict]:
        num_classes = len(self.metainfo["classes"])
        samples = self._sample_sources()
        data_list = []
        bar = tqdm(samples, desc=f"VOC {self.split}", unit="img", leave=False,
                   disable=not self.show_progress or None)
        for img_id, source in bar:
            img_path, seg_path, obj_path = self._paths(img_id, source)
            if not os.path.exists(img_path):
                raise DataError(f"{img_path}: image of {img_id!r} (split {self.split!r}) is missing")
            cls_map = read_label_map(seg_path)
            info = dict(img_path=img_path, img_id=img_id, height=int(cls_map.shape[0]),
                        width=int(cls_map.shape[1]),
                        image_labels=image_labels_from_class_map(cls_map, num_classes, seg_path),
                        seg_map_path=seg_path, obj_map_path=obj_path, gt_source=source)
            if self.with_instances:
                obj_map = read_label_map(obj_path)
                info["instances"] = build_instances(obj_map, cls_map, f"{obj_path} / {seg_path}")
            data_list.append(info)
        return data_list

    def filter_data(self) -> list[dict]:
        """With ``filter_cfg=dict(filter_empty_gt=True)`` (training only) drop images without instances
        (``with_instances``) or without image labels."""
        if self.test_mode or not self.filter_cfg or not self.filter_cfg.get("filter_empty_gt", False):
            return self.data_list
        key = "instances" if self.with_instances else "image_labels"
        return [info for info in self.data_list if info[key]]

    def get_cat_ids(self, idx: int) -> list[int]:
        """0-based foreground classes of sample ``idx`` (for class-balanced sampling)."""
        return list(self.get_data_info(idx)["image_labels"])


@DATASETS.register_module()
class VOCInstanceDataset(VOCSegDataset):
    """:class:`VOCSegDataset` with ``instances`` for mmdet training/evaluation
    (``LoadImageFromFile``, ``LoadAnnotations(with_bbox=True, with_mask=True)``, ``PackDetInputs``)."""

    def __init__(self, *args, with_instances: bool = True, **kwargs):
        super().__init__(*args, with_instances=with_instances, **kwargs)
