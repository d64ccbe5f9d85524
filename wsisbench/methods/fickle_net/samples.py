"""The benchmark's samples and class names as the FickleNet stages need them."""
from __future__ import annotations

from pathlib import Path

from wsisbench.pipeline import RunContext


def class_names(ctx: RunContext) -> list[str]:
    """The K foreground class names (label k + 1 in label maps is ``class_names[k]``)."""
    return list(ctx.benchmark.class_names(ctx.data_root))


def split_samples(ctx: RunContext, split: str) -> list[dict]:
    """Samples of a VOC-layout split: ``img_path``, ``img_id``, ``image_labels`` (0-based), ``seg_map_path``."""
    from wsisbench.datasets.voc import VOCSegDataset

    ds = VOCSegDataset(data_root=str(ctx.data_root), split=split, show_progress=False,
                       metainfo=dict(classes=tuple(class_names(ctx))),
                       sbd_root=ctx.cfg.benchmark.get("sbd_root"))
    return [ds.get_data_info(i) for i in range(len(ds))]


def gt_dir(samples: list[dict]) -> Path:
    """The folder of the ground-truth label PNGs of ``samples`` (VOC layout: ``SegmentationClass``)."""
    return Path(samples[0]["seg_map_path"]).parent
