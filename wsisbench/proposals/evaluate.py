"""Proposals over a dataset split: the split's images and ground-truth instances (VOC layout), the proposals
of each image (computed or from a :class:`ProposalStore`), and their best-overlap recall as a small table."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from wsisbench.datasets.voc import read_id_list, resolve_voc_root
from wsisbench.datasets.voc_instances import load_voc_instances
from wsisbench.errors import DataError
from wsisbench.utils.progress import progress

from .generators import mask_proposals
from .recall import best_overlap_recall
from .store import ProposalStore


@dataclass
class Sample:
    """One image of a split: its id, image file and ground-truth instance masks ``bool[M, H, W]``."""

    image_id: str
    image_path: Path
    gt_masks: np.ndarray


def read_image(path: str | os.PathLike) -> np.ndarray:
    """``uint8[H, W, 3]`` BGR; :class:`DataError` naming the file when it is missing or unreadable."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise DataError(f"{path}: image is missing or cannot be decoded")
    return image


def voc_split_samples(root: str | os.PathLike, split: str, num_images: int | None = None) -> list[Sample]:
    """The first ``num_images`` (all when ``None``) images of ``split`` of a VOC-layout dataset under ``root``
    (``ImageSets/Segmentation/<split>.txt``, ``JPEGImages``, ``SegmentationObject`` and ``SegmentationClass``)."""
    voc = resolve_voc_root(root)
    ids = read_id_list(voc / "ImageSets" / "Segmentation" / f"{split}.txt")
    ids = ids[:num_images] if num_images else ids
    samples = []
    for image_id in ids:
        masks, _ = load_voc_instances(voc / "SegmentationObject" / f"{image_id}.png",
                                      voc / "SegmentationClass" / f"{image_id}.png")
        samples.append(Sample(image_id, voc / "JPEGImages" / f"{image_id}.jpg", masks))
    return samples


def evaluate_proposals(samples: Sequence[Sample], method: str, max_proposals: int = 300, options: dict | None = None,
                       store_root: str | os.PathLike | None = None, thresholds=(0.5, 0.7),
                       disable_progress: bool = False) -> dict:
    """Proposals of every sample and their :func:`best_overlap_recall` statistics, plus ``sec_per_img``: the
    mean seconds per image of the generator (or of the store's read on a cache hit), image decoding excluded."""
    options = dict(options or {})
    store = ProposalStore(store_root, method, {"max_proposals": max_proposals, **options}) if store_root else None
    proposals, elapsed = [], 0.0
    for s in progress(samples, desc=f"proposals {method}", unit="img", disable=disable_progress):
        image = read_image(s.image_path)
        start = time.perf_counter()
        if store is not None:
            masks = store.get(s.image_id, lambda _id, image=image: image)
        else:
            masks = mask_proposals(image, method, max_proposals=max_proposals, **options)
        elapsed += time.perf_counter() - start
        proposals.append(masks)
    result = best_overlap_recall(proposals, [s.gt_masks for s in samples], thresholds)
    result.pop("best_overlaps")
    result.update(method=method, options=options, max_proposals=max_proposals,
                  sec_per_img=elapsed / max(1, len(samples)))
    return result


def format_recall_table(rows: Sequence[dict]) -> str:
    """Rows of :func:`evaluate_proposals` as a plain-text table (ABO and recall in %)."""
    recall_keys = [k for k in (rows[0] if rows else {}) if k.startswith("recall@")]
    head = f"{'method':<18} {'options':<26} {'mean N':>7} {'ABO':>6}" + "".join(
        f" {'R@' + k.split('@')[1]:>6}" for k in recall_keys) + f" {'s/img':>6}"
    lines = [head, "-" * len(head)]
    for r in rows:
        opts = ", ".join(f"{k}={v}" for k, v in r["options"].items()) or "defaults"
        lines.append(f"{r['method']:<18} {opts:<26} {r['mean_proposals']:7.1f} {100 * r['abo']:6.1f}"
                     + "".join(f" {100 * r[k]:6.1f}" for k in recall_keys) + f" {r['sec_per_img']:6.3f}")
    return "\n".join(lines)
