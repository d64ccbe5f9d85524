"""Binary masks <-> COCO run-length encoding (pycocotools), with JSON-ready string counts."""
from __future__ import annotations

from typing import Any

import numpy as np
from pycocotools import mask as mask_utils


def encode_mask(mask: np.ndarray) -> dict[str, Any]:
    """Encode one ``bool[H, W]`` mask as compressed RLE ``{'size': [H, W], 'counts': str}``.

    pycocotools wants a Fortran-ordered ``uint8[H, W]``; the counts are decoded to ``str`` so the result
    can go straight into JSON and into mmdet's ``LoadAnnotations``.
    """
    rle = mask_utils.encode(np.asfortranarray(np.asarray(mask, dtype=np.uint8)))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def decode_segmentation(segm: Any, height: int, width: int) -> np.ndarray:
    """Decode a COCO ``segmentation`` (polygons, uncompressed or compressed RLE) to ``bool[H, W]``."""
    if isinstance(segm, list):
        rle = mask_utils.merge(mask_utils.frPyObjects(segm, height, width)) if segm else None
        if rle is None:
            return np.zeros((height, width), dtype=bool)
    elif isinstance(segm, dict) and isinstance(segm.get("counts"), list):
        rle = mask_utils.frPyObjects(segm, height, width)
    elif isinstance(segm, dict):
        rle = dict(segm)
        if isinstance(rle["counts"], str):
            rle["counts"] = rle["counts"].encode("ascii")
    else:
        raise ValueError(f"unknown segmentation format {type(segm).__name__}")
    return mask_utils.decode(rle).astype(bool)


def mask_bbox_xywh(mask: np.ndarray) -> list[float]:
    """COCO box ``[x, y, w, h]`` (pixels) covering the mask's pixels; zeros for an empty mask."""
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return [0.0, 0.0, 0.0, 0.0]
    x0, y0 = int(xs.min()), int(ys.min())
    return [float(x0), float(y0), float(xs.max() + 1 - x0), float(ys.max() + 1 - y0)]
