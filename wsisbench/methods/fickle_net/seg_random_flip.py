"""``SegRandomFlip``: horizontal flip of the image and of its label maps together."""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform

from wsisbench.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SegRandomFlip(BaseTransform):
    """With probability ``prob`` flip results['img'] [H, W, 3] and every ``results[key]`` [H, W] left-right."""

    def __init__(self, prob: float = 0.5, keys: tuple[str, ...] = ("gt_seeds", "gt_full")):
        self.prob, self.keys = float(prob), tuple(keys)

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            results["img"] = np.ascontiguousarray(results["img"][:, ::-1])
            for key in self.keys:
                if results.get(key) is not None:
                    results[key] = np.ascontiguousarray(results[key][:, ::-1])
        return results
