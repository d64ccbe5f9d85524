"""Binary masks <-> COCO run-length encoding (pycocotools): the one encoder, decoding, json form, boxes."""
from __future__ import annotations

from typing import Any

import numpy as np
from pycocotools import mask as mask_utils


def encode_masks(masks: np.ndarray) -> list[dict[str, Any]]:
    """Compressed RLEs ``{'size': [H, W], 'counts': bytes}`` of a stack of binary masks [N, H, W] (any dtype;
    nonzero = inside). This is wsisbench's one RLE encoder (pycocotools underneath)."""
    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise ValueError(f"masks must be [N, H, W], got shape {masks.shape}")
    if masks.shape[0] == 0:
        return []
    fortran = np.asfortranarray(masks.astype(np.uint8, copy=False).transpose(1, 2, 0))
    return [{"size": [int(masks.shape[1]), int(masks.shape[2])], "counts": r["counts"]}
            for r in mask_utils.encode(fortran)]


def encode_mask(mask: np.ndarray) -> dict[str, Any]:
    """The compressed RLE of one binary mask [H, W] (counts as bytes; :func:`json_rle` for a json file)."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"a mask must be 2-D [H, W], got shape {mask.shape}")
    return encode_masks(mask[None])[0]


def json_rle(rle: dict[str, Any]) -> dict[str, Any]:
    """The RLE with ``counts`` as a str, as COCO json files (and mmdet's ``LoadAnnotations``) hold it."""
    counts = rle["counts"]
    return {"size": list(rle["size"]), "counts": counts.decode("ascii") if isinstance(counts, bytes) else counts}


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
