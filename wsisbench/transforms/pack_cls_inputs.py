"""Packing a loaded image and its image-level labels into a classifier's input."""
from __future__ import annotations

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from wsisbench.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackClsInputs(BaseTransform):
    """results['img'] uint8 [H, W, 3] (BGR, as mmcv loads it) and results['multi_hot'] float32 [K] ->
    ``{'inputs': uint8 tensor [3, H, W], 'data_samples': {'gt_labels': float tensor [K], 'img_id': str}}``.

    Normalisation and BGR->RGB happen later in the model's data preprocessor.
    """

    def transform(self, results: dict) -> dict:
        img = np.ascontiguousarray(results["img"].transpose(2, 0, 1))
        sample = {"gt_labels": torch.as_tensor(results["multi_hot"], dtype=torch.float32),
                  "img_id": results.get("img_id", "")}
        return {"inputs": torch.from_numpy(img), "data_samples": sample}
