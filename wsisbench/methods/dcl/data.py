"""Training inputs of Deep Community Learning: an image, its image labels and its proposal boxes.

The proposals of a split are computed once (the ``proposals_train`` stage) and stored as one ``.npz`` of boxes
(:func:`save_boxes`: one float32 ``[R, 4]`` array per image id, xyxy in the stored image's pixels). The
pipeline's :class:`LoadProposalBoxes`, placed after any resize and flip, brings them into the transformed
image's frame; :class:`PackDCLInputs` packs image, labels and boxes.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from wsisbench.errors import DataError
from wsisbench.registry import TRANSFORMS
from wsisbench.utils.atomic import atomic_write_bytes


def save_boxes(path: str | os.PathLike, boxes: dict[str, np.ndarray]) -> Path:
    """Write ``{image id: float32 [R, 4]}`` to one compressed ``.npz`` (atomically)."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **{k: np.asarray(v, dtype=np.float32).reshape(-1, 4) for k, v in boxes.items()})
    return atomic_write_bytes(Path(path), buf.getvalue())


def load_boxes(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The ``{image id: float32 [R, 4]}`` of :func:`save_boxes`; a clear error names a missing or bad file."""
    path = Path(path)
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read the proposal boxes ({e})") from e


def transform_boxes(boxes: np.ndarray, scale_factor=None, flip: bool = False, width: int | None = None) -> np.ndarray:
    """Boxes ``[R, 4]`` of the stored image -> those of the resized (``scale_factor = (sx, sy)``), then
    horizontally flipped image of width ``width`` (the flipped image's width, needed when ``flip``)."""
    out = np.asarray(boxes, dtype=np.float32).copy()
    if scale_factor is not None:
        sx, sy = float(scale_factor[0]), float(scale_factor[1])
        out[:, [0, 2]] *= sx
        out[:, [1, 3]] *= sy
    if flip:
        if width is None:
            raise ValueError("transform_boxes: flip needs the image width")
        out[:, [0, 2]] = width - out[:, [2, 0]]
    return out


@TRANSFORMS.register_module()
class LoadProposalBoxes(BaseTransform):
    """Adds ``results['proposals']`` float32 [R, 4]: the image's stored boxes in the frame of ``results['img']``
    (after ``mmcv.Resize`` / ``RandomChoiceResize``'s ``scale_factor`` and ``RandomFlip``'s horizontal flip).

    Args:
        boxes_file: the split's ``.npz`` of :func:`save_boxes`, keyed by ``results['img_id']``.
        max_proposals: keep the first this many (None: all).
    """

    def __init__(self, boxes_file: str, max_proposals: int | None = None):
        self.boxes_file = str(boxes_file)
        self.max_proposals = max_proposals
        self._boxes: dict[str, np.ndarray] | None = None

    def transform(self, results: dict) -> dict:
        if self._boxes is None:
            self._boxes = load_boxes(self.boxes_file)
        image_id = str(results.get("img_id", ""))
        if image_id not in self._boxes:
            raise DataError(f"{self.boxes_file}: no proposal boxes for image {image_id!r}")
        boxes = self._boxes[image_id][: self.max_proposals]
        if len(boxes) == 0:
            raise DataError(f"{self.boxes_file}: image {image_id!r} has no proposal")
        flip = bool(results.get("flip", False))
        if flip and results.get("flip_direction", "horizontal") != "horizontal":
            raise ValueError("LoadProposalBoxes follows horizontal flips only")
        results["proposals"] = transform_boxes(boxes, results.get("scale_factor"), flip, results["img"].shape[1])
        return results


@TRANSFORMS.register_module()
class PackDCLInputs(BaseTransform):
    """``img`` uint8 [H, W, 3] BGR, ``multi_hot`` [C] and ``proposals`` [R, 4] -> ``{'inputs': uint8 [3, H, W],
    'data_samples': {'gt_labels': float [C], 'proposals': float [R, 4], 'img_id': str}}``."""

    def transform(self, results: dict) -> dict:
        img = np.ascontiguousarray(results["img"].transpose(2, 0, 1))
        sample = {"gt_labels": torch.as_tensor(results["multi_hot"], dtype=torch.float32),
                  "proposals": torch.as_tensor(results["proposals"], dtype=torch.float32),
                  "img_id": results.get("img_id", "")}
        return {"inputs": torch.from_numpy(img), "data_samples": sample}


__all__ = ["LoadProposalBoxes", "PackDCLInputs", "load_boxes", "save_boxes", "transform_boxes"]
