"""Reading a user-supplied saliency map (the background cue of DSRG / the FickleNet paper presets)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from wsisbench.errors import DataError


def read_saliency(folder: Path, img_id: str, size: tuple[int, int]) -> torch.Tensor:
    """``<folder>/<img_id>.png`` (grey, 0..255) -> saliency [H, W] in [0, 1], resized (bilinear) to ``size``."""
    path = Path(folder) / f"{img_id}.png"
    try:
        with Image.open(path) as img:
            grey = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise DataError(f"{path}: saliency map of training image {img_id!r} is missing") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read saliency map ({e})") from None
    sal = torch.from_numpy(grey)
    if tuple(sal.shape) != tuple(size):
        sal = F.interpolate(sal[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]
    return sal
