"""``LoadSeedMaps``: a training image's seed cues (pseudo-label PNG) and, for pixel-labelled images, its GT."""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform

from wsisbench.datasets.png import read_label_png
from wsisbench.datasets.voc_instances import read_label_map
from wsisbench.errors import DataError
from wsisbench.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadSeedMaps(BaseTransform):
    """results['seed_path'] -> results['gt_seeds'] uint8 [H, W] (0 bg, 1..K, 255 unlabelled);
    results['full_label_path'] (or None) -> results['gt_full'] uint8 [H, W] (all 255 when None).

    Both must match the image's size (``results['img']``, loaded before).
    """

    def transform(self, results: dict) -> dict:
        h, w = results["img"].shape[:2]
        seeds = read_label_png(results["seed_path"])
        if seeds.shape != (h, w):
            raise DataError(f"{results['seed_path']}: seed map {seeds.shape} does not match image "
                            f"{results['img_path']} ({h}, {w})")
        results["gt_seeds"] = seeds
        full_path = results.get("full_label_path")
        if full_path:
            full = read_label_map(full_path)
            if full.shape != (h, w):
                raise DataError(f"{full_path}: label map {full.shape} does not match image ({h}, {w})")
            results["gt_full"] = full
        else:
            results["gt_full"] = np.full((h, w), 255, dtype=np.uint8)
        return results
