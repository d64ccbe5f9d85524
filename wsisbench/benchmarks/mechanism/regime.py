"""Regime measures: does a CAM (or any seed map) stop at the discriminative part, or cover the body too?

The mechanism benchmark writes a part map per image (``VOC2012/SegmentationPart/<id>.png``: 0 not an
object, 1 part pixel, 2 body pixel, 255 void band). :func:`part_body_recall` compares a seed map against it:
a plain CAM is expected to recall part pixels much better than body pixels; methods that expand the
activation (FickleNet's stochastic hidden units, DCL's multi-level CAMs) should raise the body recall while
keeping the foreground precision.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wsisbench.benchmarks.synthetic.scene import VOID

from .scene import BODY, PART

_KEYS = ("part_pixels", "body_pixels", "part_hits", "body_hits", "seed_pixels", "correct_seed_pixels")


def part_body_counts(seed_map: np.ndarray, class_map: np.ndarray, part_map: np.ndarray) -> dict[str, int]:
    """Pixel counts behind :func:`part_body_recall` for one image (all maps ``(H, W)`` integers)."""
    seed_map, class_map, part_map = (np.asarray(a) for a in (seed_map, class_map, part_map))
    if not seed_map.shape == class_map.shape == part_map.shape:
        raise ValueError(f"part_body_counts: shapes differ (seed {seed_map.shape}, class {class_map.shape}, "
                         f"part {part_map.shape})")
    valid = (class_map != VOID) & (part_map != VOID)
    fg_seed = valid & (seed_map != 0) & (seed_map != VOID)
    correct = fg_seed & (seed_map == class_map) & (class_map != 0)
    part, body = valid & (part_map == PART), valid & (part_map == BODY)
    return {"part_pixels": int(part.sum()), "body_pixels": int(body.sum()),
            "part_hits": int((correct & part).sum()), "body_hits": int((correct & body).sum()),
            "seed_pixels": int(fg_seed.sum()), "correct_seed_pixels": int(correct.sum())}


def part_body_recall(seed_map: np.ndarray | Sequence[np.ndarray], class_map: np.ndarray | Sequence[np.ndarray],
                     part_map: np.ndarray | Sequence[np.ndarray]) -> dict[str, float | int]:
    """Recall of correct-class foreground seeds on part pixels and on body pixels, and seed precision.

    Args:
        seed_map: ``(H, W)`` ints: 0 background seed, 1..K class seed, 255 unassigned (or a sequence of
            such maps, one per image; the counts are summed over them).
        class_map: ``(H, W)`` ground truth: 0 background, 1..K, 255 void (VOC ``SegmentationClass``).
        part_map: ``(H, W)``: 0 not an object, 1 part, 2 body, 255 void (``SegmentationPart``).

    Void pixels (255 in ``class_map`` or ``part_map``) are left out everywhere. A seed pixel is *correct*
    when it is a foreground seed (1..K) equal to the ground-truth class there.

    Returns a dict: ``part_recall`` = correct seeds on part pixels / part pixels, ``body_recall`` =
    correct seeds on body pixels / body pixels, ``precision`` = correct seeds / foreground seeds (seeds on
    background or on another class count against it), ``body_to_part`` = body_recall / part_recall (NaN
    where a denominator is 0), and the pixel counts ``part_pixels``, ``body_pixels``, ``part_hits``,
    ``body_hits``, ``seed_pixels``, ``correct_seed_pixels``.
    """
    if isinstance(seed_map, np.ndarray) and seed_map.ndim == 2:
        seed_map, class_map, part_map = [seed_map], [class_map], [part_map]
    if not len(seed_map) == len(class_map) == len(part_map):
        raise ValueError("part_body_recall: give as many seed maps as class maps and part maps")
    total = dict.fromkeys(_KEYS, 0)
    for s, c, p in zip(seed_map, class_map, part_map, strict=True):
        for k, v in part_body_counts(s, c, p).items():
            total[k] += v

    def ratio(a: float, b: float) -> float:
        return float(a) / b if b else float("nan")

    part_recall = ratio(total["part_hits"], total["part_pixels"])
    body_recall = ratio(total["body_hits"], total["body_pixels"])
    return {"part_recall": part_recall, "body_recall": body_recall,
            "precision": ratio(total["correct_seed_pixels"], total["seed_pixels"]),
            "body_to_part": float("nan") if np.isnan(part_recall) else ratio(body_recall, part_recall),
            **total}


def read_part_map(root: str | os.PathLike, image_id: str) -> np.ndarray:
    """``(H, W)`` uint8 part map of one image of a generated mechanism benchmark."""
    from PIL import Image

    with Image.open(Path(root) / "VOC2012" / "SegmentationPart" / f"{image_id}.png") as im:
        return np.array(im)
