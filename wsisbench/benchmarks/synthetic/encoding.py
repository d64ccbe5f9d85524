"""Image encoders shared by the writers: JPEG for images, PNG for label maps, and the VOC colour map.

Encoders return bytes and write no time stamps, so equal arrays give equal files.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image

#: JPEG chroma subsampling: 0 = 4:4:4 (no subsampling; small images keep their colours)
JPEG_SUBSAMPLING = 0


def voc_colormap(n: int = 256) -> np.ndarray:
    """The PASCAL VOC colour map: ``(n, 3)`` uint8; entry i spreads the bits of i over R, G and B
    (0 black, 1 (128, 0, 0), ..., 255 (224, 224, 192))."""
    cmap = np.zeros((n, 3), np.uint8)
    for i in range(n):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        cmap[i] = (r, g, b)
    return cmap


_VOC_PALETTE = voc_colormap(256).reshape(-1).tolist()


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    """``(H, W, 3)`` uint8 RGB -> baseline JPEG bytes at ``quality`` (1..95), 4:4:4."""
    buf = io.BytesIO()
    Image.fromarray(image, "RGB").save(buf, format="JPEG", quality=int(quality),
                                       subsampling=JPEG_SUBSAMPLING, optimize=False)
    return buf.getvalue()


def encode_palette_png(label_map: np.ndarray) -> bytes:
    """``(H, W)`` uint8 label map -> PNG bytes in mode 'P' with the VOC colour map (index = label)."""
    img = Image.fromarray(np.ascontiguousarray(label_map, np.uint8))
    img.putpalette(_VOC_PALETTE)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def encode_gray_png(label_map: np.ndarray) -> bytes:
    """``(H, W)`` uint8 label map -> 8-bit grayscale PNG bytes (mode 'L', pixel value = label)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(label_map, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()
