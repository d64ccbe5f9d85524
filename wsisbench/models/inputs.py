"""A loaded image as a model's input: the one path from an OpenCV image to a normalised batch at inference."""
from __future__ import annotations

import numpy as np
import torch


def model_input(model: torch.nn.Module, img_bgr: np.ndarray, device: str | None = None) -> torch.Tensor:
    """uint8 [H, W, 3] BGR (as mmcv / OpenCV load it) -> ``[1, 3, H, W]`` through ``model.data_preprocessor``
    (normalisation, BGR -> RGB, padding as configured), moved to ``device`` when given."""
    base = torch.from_numpy(np.ascontiguousarray(img_bgr.transpose(2, 0, 1)))
    batch = model.data_preprocessor({"inputs": [base], "data_samples": None}, False)["inputs"]
    return batch if device is None else batch.to(device)
