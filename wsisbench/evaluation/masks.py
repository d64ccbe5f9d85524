"""COCO run-length encoded masks: encoding, conversion and strict validation.

A mask of shape [H, W] is stored as ``{"size": [H, W], "counts": bytes}``: the compressed (string) RLE of
pycocotools, runs taken in column-major order starting with a run of zeros. Everything the evaluator
compares goes through this form (pycocotools / faster-coco-eval compute IoUs on it directly).

pycocotools decodes a malformed string silently (a truncated value, runs that do not add up to ``H * W``),
which gives wrong areas and IoUs. :func:`rle_areas` checks many masks at once and returns their areas, so
callers can reject such masks by name.
"""
from __future__ import annotations

from typing import Any, Sequence

import faster_coco_eval.mask_api_new_cpp as _fast_mask
import numpy as np
from pycocotools import mask as mask_utils

from wsisbench.datasets.rle import encode_mask, encode_masks, json_rle  # noqa: F401  (the one encoder)
from wsisbench.errors import DataError


def decode_mask(rle: dict[str, Any]) -> np.ndarray:
    """The binary mask uint8 [H, W] of one compressed RLE."""
    return mask_utils.decode(rle)


class RleDecodeError(ValueError):
    """A compressed RLE string that is not well formed; ``index`` says which one."""

    def __init__(self, index: int, problem: str):
        self.index, self.problem = index, problem
        super().__init__(f"RLE #{index}: {problem}")


#: the 64 characters of pycocotools' compressed RLE alphabet ('0'..'o')
_ALPHABET = bytes(range(48, 112))


def rle_areas(rles: Sequence[dict[str, Any]]) -> np.ndarray:
    """Check many compressed RLEs and return their areas (foreground pixels), int64 [N].

    Each string must use only the RLE alphabet and end with a finished value (pycocotools' decoder reads
    past the end of a truncated string), and its runs must be non-negative and add up to ``H * W``.

    Raises:
        RleDecodeError: for the first malformed RLE.
    """
    n = len(rles)
    areas = np.zeros(n, dtype=np.int64)
    for i, rle in enumerate(rles):
        counts = rle["counts"]
        if counts.translate(None, _ALPHABET):
            bad = counts.translate(None, _ALPHABET)[:1]
            raise RleDecodeError(i, f"character {bad!r} is not part of the RLE alphabet")
        if counts and (counts[-1] - 48) & 0x20:
            raise RleDecodeError(i, "truncated (the last value is unfinished)")
    try:
        runs = _fast_mask.toUncompressedRLE(list(rles)) if n else []
    except ValueError:  # faster-coco-eval rejects runs beyond H * W without saying which mask
        for i, rle in enumerate(rles):
            try:
                _fast_mask.toUncompressedRLE([rle])
            except ValueError as e:
                raise RleDecodeError(i, str(e)) from None
        raise
    for i, (rle, dec) in enumerate(zip(rles, runs)):
        c = dec["counts"]
        h, w = rle["size"]
        total = sum(c)
        if total != h * w:  # negative runs come back as huge unsigned values and fail here too
            raise RleDecodeError(i, f"runs add up to {total} pixels, the mask size [{h}, {w}] has {h * w}")
        areas[i] = sum(c[1::2])
    return areas


def to_compressed_rle(segmentation: Any, height: int, width: int, where: str) -> dict[str, Any]:
    """Normalize a COCO ``segmentation`` (compressed RLE, uncompressed RLE or polygons) to compressed RLE.

    The returned counts are bytes; their validity is checked later in bulk (:func:`rle_areas`),
    except for uncompressed RLE and polygons, which are checked here.

    Raises:
        DataError: naming ``where`` for a wrong size, a malformed object or negative / mismatched runs.
    """
    if isinstance(segmentation, dict):
        size = segmentation.get("size")
        counts = segmentation.get("counts")
        if not isinstance(size, (list, tuple)) or len(size) != 2 or counts is None:
            raise DataError(f"{where}: malformed RLE (needs 'size': [H, W] and 'counts')")
        try:
            size = [int(size[0]), int(size[1])]
        except (TypeError, ValueError):
            raise DataError(f"{where}: malformed RLE size {size!r}") from None
        if size != [int(height), int(width)]:
            raise DataError(f"{where}: mask size {size} differs from its image size {[int(height), int(width)]}")
        if isinstance(counts, str):
            try:
                counts = counts.encode("ascii")
            except UnicodeEncodeError:
                raise DataError(f"{where}: malformed RLE (non-ASCII counts)") from None
            return {"size": size, "counts": counts}
        if isinstance(counts, bytes):
            return {"size": size, "counts": counts}
        if isinstance(counts, list):
            try:
                runs = np.asarray(counts, dtype=np.float64)
            except (TypeError, ValueError):
                raise DataError(f"{where}: malformed uncompressed RLE counts") from None
            if runs.ndim != 1 or (runs.size and (np.any(runs < 0) or np.any(runs != np.round(runs)))):
                raise DataError(f"{where}: malformed uncompressed RLE counts (negative or fractional runs)")
            if int(runs.sum()) != size[0] * size[1]:
                raise DataError(f"{where}: malformed RLE: runs add up to {int(runs.sum())} pixels, "
                                f"the mask has {size[0] * size[1]}")
            rle = mask_utils.frPyObjects({"size": size, "counts": [int(c) for c in counts]}, size[0], size[1])
            return {"size": size, "counts": rle["counts"]}
        raise DataError(f"{where}: malformed RLE counts of type {type(counts).__name__}")
    if isinstance(segmentation, list):
        polys = segmentation
        if not polys or not all(isinstance(p, (list, tuple)) and len(p) >= 6 and len(p) % 2 == 0 for p in polys):
            raise DataError(f"{where}: malformed polygon segmentation (lists of >= 3 x,y pairs expected)")
        try:
            rles = mask_utils.frPyObjects([[float(c) for c in p] for p in polys], int(height), int(width))
        except (TypeError, ValueError):
            raise DataError(f"{where}: malformed polygon segmentation") from None
        rle = mask_utils.merge(rles)
        return {"size": [int(height), int(width)], "counts": rle["counts"]}
    raise DataError(f"{where}: 'segmentation' must be an RLE dict or polygons, got {type(segmentation).__name__}")
