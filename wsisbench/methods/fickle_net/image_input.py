"""One image file -> the normalised batch [1, 3, H, W] a model's data preprocessor makes of it."""
from __future__ import annotations

import mmcv
import numpy as np
import torch


def read_rgb(path: str) -> np.ndarray:
    """uint8 [H, W, 3] RGB (mmcv reads BGR)."""
    return np.ascontiguousarray(mmcv.imread(path)[:, :, ::-1])


def image_batch(model: torch.nn.Module, path: str) -> torch.Tensor:
    """Normalised [1, 3, H, W] on the model's device (through ``model.data_preprocessor``)."""
    img = mmcv.imread(path)  # BGR, as in training (the preprocessor converts to RGB)
    tensor = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
    return model.data_preprocessor({"inputs": [tensor], "data_samples": None}, False)["inputs"]
