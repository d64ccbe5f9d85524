"""Datasets and data loaders of partially supervised instance segmentation runs (COCO-format annotations).

Config keys read (see ``configs/maskx_rcnn/``)::

    data = dict(train_ann='annotations/instances_train.json', train_img='VOC2012/JPEGImages/',
                val_ann='annotations/instances_val.json', val_img='VOC2012/JPEGImages/')
    train_pipeline = [...]; test_pipeline = [...]     # mmdet transforms
    test = dict(batch_size=8)

Training keeps the boxes of every class and the masks of ``mask_classes`` only (``CocoSplitDataset``);
evaluation data keeps ALL val images.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from wsisbench.errors import DataError
from wsisbench.pipeline import RunContext


def annotation_path(ctx: RunContext, key: str) -> Path:
    """Absolute path of ``cfg.data[key]`` (relative to the benchmark's root), checked to exist."""
    path = Path(ctx.data_root) / ctx.cfg.data[key]
    if not path.is_file():
        raise DataError(f"{path}: annotation file is missing (config data.{key}, under the benchmark root "
                        f"{ctx.data_root})")
    return path


def train_dataset(ctx: RunContext, class_names: Sequence[str], mask_classes: Sequence[str] | None,
                  ann_file: str | Path | None = None, pipeline=None) -> dict:
    """``CocoSplitDataset`` config of the train split: boxes of all classes, masks of ``mask_classes``."""
    cfg = ctx.cfg
    return dict(type="CocoSplitDataset", data_root=str(ctx.data_root),
                ann_file=str(ann_file or annotation_path(ctx, "train_ann")),
                data_prefix=dict(img=cfg.data.train_img), metainfo=dict(classes=tuple(class_names)),
                mask_classes=None if mask_classes is None else list(mask_classes),
                filter_cfg=dict(filter_empty_gt=True, min_size=cfg.data.get("min_size", 0)),
                pipeline=pipeline if pipeline is not None else cfg.train_pipeline)


def val_dataset(ctx: RunContext, class_names: Sequence[str]) -> dict:
    """``CocoSplitDataset`` config of the evaluation split (all images, all annotations)."""
    cfg = ctx.cfg
    return dict(type="CocoSplitDataset", data_root=str(ctx.data_root), ann_file=str(annotation_path(ctx, "val_ann")),
                data_prefix=dict(img=cfg.data.val_img), metainfo=dict(classes=tuple(class_names)),
                test_mode=True, pipeline=cfg.test_pipeline)
