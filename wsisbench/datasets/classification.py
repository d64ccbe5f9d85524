"""Image-label classification views of the segmentation datasets (for classifier / CAM stages).

A view wraps a source dataset (VOC, COCO, LID, or any dataset whose samples carry ``image_labels``)
and keeps only what a multi-label classifier needs. Each sample::

    img_path, img_id, height, width,
    image_labels   sorted 0-based foreground classes
    multi_hot      float32[K], 1.0 at image_labels (K = len(metainfo['classes']))

``ImageLabelDataset(dataset=dict(type='VOCSegDataset', ...))`` wraps any registered source; the named
views take the source's arguments directly: ``VOCClsDataset(data_root=..., split='train_aug', ...)``.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np
from mmengine.dataset import BaseDataset

from wsisbench.registry import DATASETS

_SAMPLE_KEYS = ("img_path", "img_id", "height", "width", "image_labels")


def multi_hot(labels, num_classes: int) -> np.ndarray:
    """``float32[num_classes]`` with 1.0 at the 0-based ``labels``."""
    vec = np.zeros(num_classes, dtype=np.float32)
    vec[np.asarray(list(labels), dtype=np.int64)] = 1.0
    return vec


@DATASETS.register_module()
class ImageLabelDataset(BaseDataset):
    """Classification view of ``dataset`` (a config dict or a built dataset).

    Args:
        dataset: the source; built with ``DATASETS`` when a dict (its ``pipeline`` is ignored).
        drop_unlabelled: drop images without any foreground label (default True: a multi-label classifier
            learns nothing from them, and WSSS methods train on labelled images only).
        pipeline, test_mode, lazy_init, serialize_data, indices, max_refetch: as in ``BaseDataset``.
    """

    def __init__(self, dataset: dict | BaseDataset, drop_unlabelled: bool = True, pipeline=(),
                 test_mode: bool = False, lazy_init: bool = False, serialize_data: bool = True,
                 indices=None, max_refetch: int = 1000):
        if isinstance(dataset, dict):
            cfg = copy.deepcopy(dataset)
            cfg["lazy_init"] = True
            cfg.pop("pipeline", None)
            source_cls = DATASETS.get(cfg.pop("type"))  # our registry first, whatever the default scope
            if source_cls is None:
                raise KeyError(f"unknown dataset type {dataset['type']!r}")
            dataset = source_cls(**cfg)
        self.source = dataset
        self.drop_unlabelled = drop_unlabelled
        super().__init__(metainfo=dict(self.source.metainfo), pipeline=list(pipeline), test_mode=test_mode,
                         lazy_init=lazy_init, serialize_data=serialize_data, indices=indices,
                         max_refetch=max_refetch)

    def load_data_list(self) -> list[dict[str, Any]]:
        self.source.full_init()
        num_classes = len(self.metainfo["classes"])
        out = []
        for i in range(len(self.source)):
            info = self.source.get_data_info(i)
            sample = {k: info[k] for k in _SAMPLE_KEYS}
            if self.drop_unlabelled and not sample["image_labels"]:
                continue
            sample["multi_hot"] = multi_hot(sample["image_labels"], num_classes)
            out.append(sample)
        return out

    def get_cat_ids(self, idx: int) -> list[int]:
        return list(self.get_data_info(idx)["image_labels"])


class _NamedView(ImageLabelDataset):
    SOURCE_TYPE = ""

    def __init__(self, pipeline=(), test_mode: bool = False, lazy_init: bool = False,
                 serialize_data: bool = True, indices=None, max_refetch: int = 1000,
                 drop_unlabelled: bool = True, **source_kwargs):
        source = dict(type=self.SOURCE_TYPE, test_mode=True, **source_kwargs)
        super().__init__(source, drop_unlabelled=drop_unlabelled, pipeline=pipeline, test_mode=test_mode,
                         lazy_init=lazy_init, serialize_data=serialize_data, indices=indices,
                         max_refetch=max_refetch)


@DATASETS.register_module()
class VOCClsDataset(_NamedView):
    """Image labels of VOC 2012 (any split incl. ``train_aug``); arguments as :class:`VOCSegDataset`."""

    SOURCE_TYPE = "VOCSegDataset"


@DATASETS.register_module()
class CocoClsDataset(_NamedView):
    """Image labels of COCO; arguments as :class:`CocoSplitDataset` (e.g. ``keep_classes='voc'``)."""

    SOURCE_TYPE = "CocoSplitDataset"


@DATASETS.register_module()
class LIDClsDataset(_NamedView):
    """Image labels of LID 2020 track 1; arguments as :class:`LIDSegDataset`."""

    SOURCE_TYPE = "LIDSegDataset"
