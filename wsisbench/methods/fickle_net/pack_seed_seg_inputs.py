"""``PackSeedSegInputs``: an image, its seeds, labels and (semi-supervised) GT into the segmenter's input."""
from __future__ import annotations

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from wsisbench.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackSeedSegInputs(BaseTransform):
    """-> ``{'inputs': uint8 [3, H, W] (BGR), 'data_samples': {...}}`` with

    ``seeds`` int64 [H, W], ``full_labels`` int64 [H, W] (255 unless pixel-labelled), ``image_labels``
    float32 [K] multi-hot, ``is_full`` bool, ``img_id`` str (see :class:`DeepLabSegmentor`).
    """

    def transform(self, results: dict) -> dict:
        img = np.ascontiguousarray(results["img"].transpose(2, 0, 1))
        sample = {
            "seeds": torch.from_numpy(results["gt_seeds"].astype(np.int64)),
            "full_labels": torch.from_numpy(results["gt_full"].astype(np.int64)),
            "image_labels": torch.as_tensor(results["multi_hot"], dtype=torch.float32),
            "is_full": bool(results.get("is_full", False)),
            "img_id": results.get("img_id", ""),
        }
        return {"inputs": torch.from_numpy(img), "data_samples": sample}
