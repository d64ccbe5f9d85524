"""Label PNGs read strictly as class/instance indices, and written as palette PNGs.

VOC-style ground truth stores indices in a palette ('P') image; its colours are only for display.
Reading such a file with a library that converts to RGB silently gives colours instead of classes, and a
label map saved as RGB by a careless tool cannot be read back at all. So :func:`read_label_png` accepts
mode 'P' (palette indices) or 'L' (8-bit grey values taken as indices) and nothing else.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from wsisbench.errors import DataError
from wsisbench.utils.atomic import atomic_write_bytes

from .class_names import voc_palette

#: PIL modes whose pixel values are label indices.
INDEX_MODES = ("P", "L")


def read_label_png(path: str | os.PathLike) -> np.ndarray:
    """Read a label PNG as indices: ``uint8[H, W]``.

    Raises :class:`DataError` naming the file when it is missing, cannot be decoded, or is not an index
    image (e.g. an RGB rendering of a label map).
    """
    path = Path(path)
    try:
        with Image.open(path) as img:
            if img.mode not in INDEX_MODES:
                raise DataError(f"{path}: label PNG has mode {img.mode!r}; expected a palette ('P') or "
                                f"8-bit index ('L') image (an RGB rendering of labels cannot be read as classes)")
            img.load()
            return np.array(img, dtype=np.uint8)
    except FileNotFoundError:
        raise DataError(f"{path}: label PNG is missing") from None
    except DataError:
        raise
    except (OSError, ValueError, SyntaxError) as e:
        raise DataError(f"{path}: cannot decode label PNG ({e})") from None


def encode_label_png(labels: np.ndarray, palette: list[int] | None = None) -> bytes:
    """Encode ``uint8[H, W]`` indices as palette PNG bytes (VOC colour map unless ``palette`` is given)."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"label map must be 2-D, got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 255):
        raise ValueError("label values must lie in [0, 255]")
    height, width = labels.shape
    img = Image.frombytes("P", (width, height), np.ascontiguousarray(labels, dtype=np.uint8).tobytes())
    img.putpalette(palette if palette is not None else voc_palette())
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def write_label_png(path: str | os.PathLike, labels: np.ndarray, palette: list[int] | None = None) -> Path:
    """Write ``uint8[H, W]`` indices atomically as a palette PNG; returns the path."""
    return atomic_write_bytes(path, encode_label_png(labels, palette))
