"""Class activation maps at image resolution, with multi-scale and flip test-time augmentation."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from wsisbench.models.inputs import model_input


@torch.no_grad()
def image_cams(model, img_bgr: np.ndarray, scales: Sequence[float] = (1.0,), flip: bool = False,
               device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """CAMs of one image.

    Args:
        model: a classifier with ``data_preprocessor`` and ``class_maps(inputs) -> [B, K, h, w]``
            (e.g. :class:`wsisbench.models.classifiers.GAPClassifier`).
        img_bgr: uint8 [H, W, 3] as mmcv/OpenCV load it.
        scales: input scale factors; maps of every scale (and its flip) are resized to H x W and summed.

    Returns:
        cams: float32 [K, H, W], ReLU'd and summed over scales/flips (unnormalised).
        scores: float32 [K], sigmoid class scores at scale 1 (mean of the pooled maps).
    """
    h, w = img_bgr.shape[:2]
    batch = model_input(model, img_bgr, device)
    total = None
    scores = None
    for s in scales:
        x = batch if s == 1.0 else F.interpolate(batch, scale_factor=s, mode="bilinear", align_corners=False)
        xs = torch.cat([x, x.flip(-1)]) if flip else x
        maps = model.class_maps(xs)
        if s == 1.0 and scores is None:
            scores = maps[:1].mean(dim=(2, 3)).sigmoid()[0]
        if flip:
            maps = maps[:1] + maps[1:].flip(-1)
        maps = F.interpolate(F.relu(maps), size=(h, w), mode="bilinear", align_corners=False)[0]
        total = maps if total is None else total + maps
    if scores is None:
        scores = model.class_maps(batch).mean(dim=(2, 3)).sigmoid()[0]
    return total.float().cpu().numpy(), scores.float().cpu().numpy()


def normalize_maps(cams: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Scale each class map to [0, 1] by its maximum: float32 [K, H, W] -> float32 [K, H, W]."""
    peak = cams.reshape(len(cams), -1).max(axis=1)
    return (cams / (peak[:, None, None] + eps)).astype(np.float32)


def label_map_from_cams(cams: np.ndarray, classes: Sequence[int], bg_threshold: float) -> np.ndarray:
    """Semantic label map from CAMs: background where no present class's normalised map reaches the threshold.

    Args:
        cams: float32 [K, H, W] raw CAMs.
        classes: 0-based foreground classes taken as present (ground-truth image labels for pseudo-labels,
            predicted ones for test images).
        bg_threshold: in [0, 1]; background score is this constant (as in CAM/IRN practice).

    Returns:
        uint8 [H, W]: 0 background, c + 1 for class c.
    """
    h, w = cams.shape[1:]
    classes = list(classes)
    if not classes:
        return np.zeros((h, w), np.uint8)
    norm = normalize_maps(cams[classes])
    stacked = np.concatenate([np.full((1, h, w), bg_threshold, np.float32), norm])
    winner = stacked.argmax(axis=0)
    lut = np.array([0] + [c + 1 for c in classes], dtype=np.uint8)
    return lut[winner]
