"""``LoadLabelMap``: load a sample's class map as indices (PNG palette indices or SBD ``.mat``).

mmcv's image decoding (OpenCV) turns a palette PNG into colours; this transform reads indices strictly
(:func:`wsisbench.datasets.read_label_map`), so VOC/LID/embedded ground truth is never misread.
"""
from __future__ import annotations

from mmcv.transforms import BaseTransform

from wsisbench.registry import TRANSFORMS

from .voc_instances import read_label_map


@TRANSFORMS.register_module()
class LoadLabelMap(BaseTransform):
    """Read ``results[key]`` (default ``'seg_map_path'``) into ``results['gt_seg_map']`` (``uint8[H, W]``),
    and set ``results['ignore_index']`` (default 255) and ``seg_fields``.

    Samples without the key (e.g. a test split with no ground truth) pass through unchanged.
    """

    def __init__(self, key: str = "seg_map_path", ignore_index: int = 255):
        self.key = key
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        path = results.get(self.key)
        if path is None:
            return results
        results["gt_seg_map"] = read_label_map(path)
        results["ignore_index"] = self.ignore_index
        fields = results.setdefault("seg_fields", [])
        if "gt_seg_map" not in fields:
            fields.append("gt_seg_map")
        return results

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r}, ignore_index={self.ignore_index})"
