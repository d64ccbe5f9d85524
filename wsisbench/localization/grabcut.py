"""GrabCut (Rother et al. 2004) foreground segmentation inside a box, with OpenCV.

``cv2.grabCut`` with ``GC_INIT_WITH_RECT``: pixels outside the box are background, pixels inside are
'probably foreground'; colour GMMs and a graph cut alternate for ``iters`` rounds. The cut runs on a crop
around the box (the box plus a margin of background), which is faster than the whole image and gives
the background model nearby colours. When GrabCut cannot run (a box too small, or no background pixels
around it) or returns no foreground, the filled box is the mask.
"""
from __future__ import annotations

import cv2
import numpy as np


def _clip_box(box, height: int, width: int) -> tuple[int, int, int, int]:
    """Pixel bounds [x0, x1) x [y0, y1) of an xyxy float box, clipped to the image."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    x0, y0 = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
    x1, y1 = min(width, int(np.ceil(x1))), min(height, int(np.ceil(y1)))
    return x0, y0, max(x0, x1), max(y0, y1)


def box_mask(box, height: int, width: int) -> np.ndarray:
    """bool [H, W]: the filled box."""
    x0, y0, x1, y1 = _clip_box(box, height, width)
    out = np.zeros((height, width), dtype=bool)
    out[y0:y1, x0:x1] = True
    return out


def grabcut_in_box(image: np.ndarray, box, iters: int = 5, margin: float = 0.15, min_margin: int = 4,
                   min_size: int = 2, seed: int = 0) -> np.ndarray:
    """Foreground of ``box`` in ``image``.

    Args:
        image: uint8 [H, W, 3] (BGR or RGB; GrabCut only models colours).
        box: [x0, y0, x1, y1] in pixels.
        iters: GrabCut iterations.
        margin: background border around the box, as a fraction of the box's larger side.
        min_margin: the border is at least this many pixels.
        min_size: boxes narrower or shorter than this (pixels) are returned filled.
        seed: OpenCV's RNG seed (GrabCut's k-means initialisation), for reproducible masks.

    Returns:
        bool [H, W], True on the foreground (inside the box only).
    """
    height, width = image.shape[:2]
    x0, y0, x1, y1 = _clip_box(box, height, width)
    w, h = x1 - x0, y1 - y0
    if w < min_size or h < min_size:
        return box_mask(box, height, width)
    pad = max(int(min_margin), int(round(margin * max(w, h))))
    cx0, cy0 = max(0, x0 - pad), max(0, y0 - pad)
    cx1, cy1 = min(width, x1 + pad), min(height, y1 + pad)
    crop = np.ascontiguousarray(image[cy0:cy1, cx0:cx1, :3], dtype=np.uint8)
    mask = np.zeros(crop.shape[:2], dtype=np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(seed)
    try:
        cv2.grabCut(crop, mask, (x0 - cx0, y0 - cy0, w, h), bgd, fgd, int(iters), cv2.GC_INIT_WITH_RECT)
    except cv2.error:
        return box_mask(box, height, width)
    fg = (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
    if not fg.any():
        return box_mask(box, height, width)
    out = np.zeros((height, width), dtype=bool)
    out[cy0:cy1, cx0:cx1] = fg
    return out


def grabcut_boxes(image: np.ndarray, boxes: np.ndarray, **kwargs) -> np.ndarray:
    """bool [N, H, W]: :func:`grabcut_in_box` for each of the N boxes [N, 4]."""
    height, width = image.shape[:2]
    out = np.zeros((len(boxes), height, width), dtype=bool)
    for i, box in enumerate(boxes):
        out[i] = grabcut_in_box(image, box, **kwargs)
    return out
