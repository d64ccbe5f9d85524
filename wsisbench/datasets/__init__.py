"""Readers, views, checks and converters of the real datasets (VOC 2012 + SBD, COCO 2017, LID 2020).

Importing this package registers the datasets in :data:`wsisbench.registry.DATASETS`:
``VOCSegDataset``, ``VOCInstanceDataset``, ``CocoSplitDataset``, ``LIDSegDataset``,
``ImageLabelDataset``, ``VOCClsDataset``, ``CocoClsDataset``, ``LIDClsDataset``, and the transform
``LoadLabelMap`` in ``TRANSFORMS``.

Plain helpers: :func:`load_voc_instances`, :func:`read_label_png`, :func:`read_label_map`,
:func:`check_dataset`, and the converters in :mod:`wsisbench.datasets.converters`.
"""
from .checks import CheckReport, check_dataset
from .class_names import (
                          COCO_CATEGORY_IDS,
                          COCO_CLASSES,
                          ILSVRC_DET_CLASSES,
                          ILSVRC_DET_WNIDS,
                          LID_CLASSES,
                          NONVOC_COCO_CATEGORY_IDS,
                          VOC_CLASSES,
                          VOC_COCO_CATEGORY_IDS,
                          voc_palette,
)
from .classification import CocoClsDataset, ImageLabelDataset, LIDClsDataset, VOCClsDataset, multi_hot
from .coco import CocoSplitDataset, resolve_category_subset
from .lid import LIDSegDataset
from .loading import LoadLabelMap
from .png import read_label_png, write_label_png
from .rle import decode_segmentation, encode_mask, encode_masks, json_rle
from .voc import VOCInstanceDataset, VOCSegDataset
from .voc_instances import instances_from_maps, load_voc_instances, read_label_map

__all__ = [
    "CheckReport", "check_dataset",
    "COCO_CATEGORY_IDS", "COCO_CLASSES", "ILSVRC_DET_CLASSES", "ILSVRC_DET_WNIDS", "LID_CLASSES",
    "NONVOC_COCO_CATEGORY_IDS", "VOC_CLASSES", "VOC_COCO_CATEGORY_IDS", "voc_palette",
    "CocoClsDataset", "ImageLabelDataset", "LIDClsDataset", "VOCClsDataset", "multi_hot",
    "CocoSplitDataset", "resolve_category_subset", "LIDSegDataset", "LoadLabelMap",
    "read_label_png", "write_label_png", "decode_segmentation", "encode_mask", "encode_masks", "json_rle",
    "VOCInstanceDataset", "VOCSegDataset", "instances_from_maps", "load_voc_instances", "read_label_map",
]
