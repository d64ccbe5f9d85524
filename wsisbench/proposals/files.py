"""Mask proposals from user-supplied files, one file per image, and the compact ``.npz`` form this package writes.

Three formats, told apart by the file's suffix:

- ``.mat``: MCG's own per-image files (Pont-Tuset et al., "Multiscale Combinatorial Grouping for Image
  Segmentation and Object Proposal Generation", TPAMI 2017, arXiv:1503.00848): ``superpixels``, a label image
  ``[H, W]`` (ids from 1), and ``labels``, a cell array whose entry ``j`` lists the superpixel ids of proposal
  ``j``; ``scores`` is optional. Proposal ``j`` is the union of its superpixels. The fields may be top-level
  variables or the fields of one struct (MCG's ``candidates``). MATLAB v7.3 (HDF5) files are not read.
- ``.npz``: ``packed`` (``np.packbits`` of the masks flattened per proposal, ``uint8[N, ceil(H*W/8)]``) and
  ``shape`` (``[N, H, W]``), as :func:`save_proposal_file` writes; or a plain ``masks`` array ``[N, H, W]``.
- ``.json``: COCO-style run-length encodings, a list whose items are RLE dicts ``{"size": [H, W], "counts":
  ...}`` or objects with such a ``"segmentation"`` (COCO results entries); a dict holding that list under
  ``"proposals"`` is also read. Polygons need ``image_shape``.

Every problem (file missing, unreadable, a field missing, a wrong shape) raises :class:`DataError` naming the file.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from wsisbench.datasets.rle import decode_segmentation
from wsisbench.errors import DataError
from wsisbench.utils.atomic import atomic_write_bytes

SUFFIXES = (".mat", ".npz", ".json")


def pack_masks(masks: np.ndarray) -> dict[str, np.ndarray]:
    """``bool[N, H, W]`` -> ``{'packed': uint8[N, ceil(H*W/8)], 'shape': int64[3]}`` (1 bit per pixel)."""
    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise ValueError(f"masks must be [N, H, W], got shape {masks.shape}")
    flat = masks.reshape(masks.shape[0], -1).astype(bool, copy=False)
    return {"packed": np.packbits(flat, axis=1), "shape": np.asarray(masks.shape, np.int64)}


def unpack_masks(packed: np.ndarray, shape) -> np.ndarray:
    """The inverse of :func:`pack_masks`: ``bool[N, H, W]``."""
    n, h, w = (int(v) for v in shape)
    if n == 0:
        return np.zeros((0, h, w), dtype=bool)
    return np.unpackbits(np.asarray(packed, np.uint8), axis=1, count=h * w).reshape(n, h, w).astype(bool)


def proposal_file_bytes(masks: np.ndarray, **extra: np.ndarray) -> bytes:
    """The ``.npz`` (compressed) holding ``masks`` packed, plus ``extra`` arrays (e.g. ``scores``)."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **pack_masks(masks), **extra)
    return buf.getvalue()


def save_proposal_file(path: str | os.PathLike, masks: np.ndarray, **extra: np.ndarray) -> Path:
    """Write ``masks`` (``bool[N, H, W]``) to ``path`` (``.npz``) atomically; returns the path."""
    return atomic_write_bytes(path, proposal_file_bytes(masks, **extra))


def _check_shape(masks: np.ndarray, image_shape, path: Path) -> np.ndarray:
    if image_shape is not None:
        h, w = (int(v) for v in tuple(image_shape)[:2])
        if masks.shape[1:] != (h, w):
            raise DataError(f"{path}: proposals are {masks.shape[1]}x{masks.shape[2]} (H x W) but the image is "
                            f"{h}x{w}")
    return masks


def _read_npz(path: Path) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as data:
            keys = set(data.files)
            if {"packed", "shape"} <= keys:
                shape = np.asarray(data["shape"]).ravel()
                if shape.size != 3 or (shape < 0).any():
                    raise DataError(f"{path}: 'shape' must be [N, H, W], got {shape.tolist()}")
                packed = data["packed"]
                n, h, w = (int(v) for v in shape)
                if packed.ndim != 2 or packed.shape[0] != n or packed.shape[1] != (h * w + 7) // 8:
                    raise DataError(f"{path}: 'packed' has shape {packed.shape}, expected ({n}, {(h * w + 7) // 8}) "
                                    f"for masks of shape {(n, h, w)}")
                return unpack_masks(packed, shape)
            if "masks" in keys:
                masks = data["masks"]
                if masks.ndim != 3:
                    raise DataError(f"{path}: 'masks' must be [N, H, W], got shape {masks.shape}")
                return masks.astype(bool)
            found = ", ".join(sorted(keys)) or "none"
            raise DataError(f"{path}: no 'packed' + 'shape' or 'masks' array (found: {found})")
    except DataError:
        raise
    except Exception as e:  # zipfile / numpy raise assorted errors on corrupt files
        raise DataError(f"{path}: cannot read proposal .npz file ({e})") from None


def _mcg_fields(data: dict[str, Any], path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``superpixels`` and ``labels`` at the top level or inside one struct variable."""
    if "superpixels" in data and "labels" in data:
        return data["superpixels"], data["labels"]
    for name, value in data.items():
        if name.startswith("__") or not isinstance(value, np.ndarray) or value.dtype.names is None:
            continue
        if {"superpixels", "labels"} <= set(value.dtype.names):
            return value["superpixels"].ravel()[0], value["labels"].ravel()[0]
    present = [k for k in data if not k.startswith("__")]
    missing = [k for k in ("superpixels", "labels") if k not in data]
    raise DataError(f"{path}: MCG proposal file lacks {' and '.join(repr(k) for k in missing)} (variables: "
                    f"{', '.join(present) or 'none'}; expected 'superpixels' [H, W] and the cell array 'labels', "
                    "top-level or in a struct such as 'candidates')")


def _read_mat(path: Path) -> np.ndarray:
    try:
        from scipy.io import loadmat
    except ImportError:  # pragma: no cover - scipy is a dependency of the toolkit
        raise DataError(f"{path}: reading MCG .mat files needs scipy") from None
    try:
        data = loadmat(str(path), squeeze_me=False, struct_as_record=True)
    except NotImplementedError:
        raise DataError(f"{path}: MATLAB v7.3 (HDF5) files are not read; re-save it with save(..., '-v7')") from None
    except Exception as e:
        raise DataError(f"{path}: cannot read MCG .mat file ({e})") from None
    superpixels, labels = _mcg_fields(data, path)
    superpixels = np.asarray(superpixels)
    if superpixels.ndim != 2 or superpixels.dtype.kind not in "iuf":
        raise DataError(f"{path}: 'superpixels' must be a 2-D label image, got {superpixels.dtype} {superpixels.shape}")
    superpixels = superpixels.astype(np.int64)
    if labels.dtype != object:
        raise DataError(f"{path}: 'labels' must be a cell array (one list of superpixel ids per proposal), got a "
                        f"{labels.dtype} array of shape {labels.shape}")
    entries = labels.ravel()
    num_sp = int(superpixels.max(initial=0))
    masks = np.zeros((entries.size,) + superpixels.shape, dtype=bool)
    for j, ids in enumerate(entries):
        ids = np.asarray(ids).ravel()
        if ids.size and (ids.dtype.kind not in "iuf" or ids.min() < 1 or ids.max() > num_sp):
            raise DataError(f"{path}: labels entry {j} holds superpixel ids outside 1..{num_sp}")
        member = np.zeros(num_sp + 1, dtype=bool)
        member[ids.astype(np.int64)] = True
        masks[j] = member[superpixels]
    return masks


def _read_json(path: Path, image_shape) -> np.ndarray:
    try:
        data = json.loads(path.read_text())
    except Exception as e:
        raise DataError(f"{path}: cannot read proposal .json file ({e})") from None
    if isinstance(data, dict) and "proposals" in data:
        data = data["proposals"]
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a list of RLE dicts (or {{\"proposals\": [...]}}), "
                        f"got {type(data).__name__}")
    masks = []
    for j, item in enumerate(data):
        segm = item.get("segmentation", item) if isinstance(item, dict) else item
        if isinstance(segm, dict) and "size" in segm:
            h, w = (int(v) for v in segm["size"])
        elif isinstance(segm, list) and image_shape is not None:
            h, w = (int(v) for v in tuple(image_shape)[:2])
        else:
            raise DataError(f"{path}: entry {j} is neither an RLE dict with 'size' and 'counts' nor (with "
                            "image_shape given) a polygon list")
        try:
            masks.append(decode_segmentation(segm, h, w))
        except Exception as e:
            raise DataError(f"{path}: entry {j} cannot be decoded ({e})") from None
    if not masks:
        if image_shape is None:
            raise DataError(f"{path}: no proposals, and without image_shape their size is unknown")
        return np.zeros((0,) + tuple(int(v) for v in tuple(image_shape)[:2]), dtype=bool)
    sizes = {m.shape for m in masks}
    if len(sizes) > 1:
        raise DataError(f"{path}: proposals of different sizes {sorted(sizes)}")
    return np.stack(masks)


def load_proposal_file(path: str | os.PathLike, image_shape=None) -> np.ndarray:
    """Proposals of one image from a user-supplied file (module docstring): ``bool[N, H, W]``.

    Args:
        path: a ``.mat`` (MCG), ``.npz`` or ``.json`` (COCO RLE) file.
        image_shape: ``(H, W)`` or ``(H, W, C)`` of the image; when given, masks of another size are an error.
    """
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(f"{path}: unknown proposal file type {path.suffix or '(no suffix)'!r}; "
                        f"supported: {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise DataError(f"{path}: proposal file not found")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        masks = _read_npz(path)
    elif suffix == ".mat":
        masks = _read_mat(path)
    else:
        masks = _read_json(path, image_shape)
    return _check_shape(masks, image_shape, path)
