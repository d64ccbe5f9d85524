"""How well a set of mask proposals can cover ground-truth instances: best overlap, ABO and recall.

For each ground-truth instance, its *best overlap* is the largest IoU with any proposal of its image (0 when
the image has none). ABO is the mean best overlap over all instances pooled across images (as in the ABO of
:mod:`wsisbench.evaluation.abo`, which scores predictions the same way); ``recall@t`` is the share of
instances whose best overlap is at least ``t``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def mask_iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every mask of ``a`` (``[N, H, W]``) with every mask of ``b`` (``[M, H, W]``): ``float64[N, M]``;
    0 where both masks are empty.

    Exact pixel counts on bit-packed masks (popcount of the AND), without BLAS: a threaded float product
    stalls on a busy machine.
    """
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.ndim != 3 or b.ndim != 3 or a.shape[1:] != b.shape[1:]:
        raise ValueError(f"mask stacks must be [N, H, W] of one size, got {a.shape} and {b.shape}")
    n, m = a.shape[0], b.shape[0]
    out = np.zeros((n, m), np.float64)
    if n == 0 or m == 0:
        return out
    pa = np.packbits(a.reshape(n, -1), axis=1)
    pb = np.packbits(b.reshape(m, -1), axis=1)
    area_a = np.bitwise_count(pa).sum(1, dtype=np.int64)
    area_b = np.bitwise_count(pb).sum(1, dtype=np.int64)
    for i in range(n):
        inter = np.bitwise_count(pb & pa[i]).sum(1, dtype=np.int64)
        union = (area_a[i] + area_b - inter).astype(np.float64)
        np.divide(inter, union, out=out[i], where=union > 0)
    return out


def best_overlaps(proposals: np.ndarray, gt_masks: np.ndarray) -> np.ndarray:
    """Best IoU of each GT mask ``[M, H, W]`` with any proposal ``[N, H, W]``: ``float64[M]`` (0 if N = 0)."""
    gt_masks = np.asarray(gt_masks, dtype=bool)
    proposals = np.asarray(proposals, dtype=bool)
    if proposals.shape[0] == 0:
        return np.zeros(gt_masks.shape[0])
    return mask_iou_matrix(gt_masks, proposals).max(axis=1)


def best_overlap_recall(proposals: list[np.ndarray], gt_masks: list[np.ndarray],
                        thresholds: Sequence[float] = (0.5, 0.7)) -> dict:
    """Best-overlap statistics of proposals against ground truth, image by image.

    Args:
        proposals: per image, ``bool[N_i, H_i, W_i]`` proposals (``N_i`` may be 0).
        gt_masks: per image, ``bool[M_i, H_i, W_i]`` ground-truth instance masks (``M_i`` may be 0).
        thresholds: IoU thresholds of the recall entries.

    Returns:
        ``{'abo', 'recall@<t>' for each t, 'num_gt', 'num_images', 'mean_proposals', 'best_overlaps'}``: ABO and
        recalls are fractions pooled over all GT instances (NaN without GT), ``best_overlaps`` the per-instance
        values (float64, images in order), ``mean_proposals`` the mean of ``N_i``.
    """
    if len(proposals) != len(gt_masks):
        raise ValueError(f"{len(proposals)} proposal sets for {len(gt_masks)} ground-truth sets")
    best, counts = [], []
    for i, (props, gts) in enumerate(zip(proposals, gt_masks)):
        props, gts = np.asarray(props, dtype=bool), np.asarray(gts, dtype=bool)
        if props.ndim != 3 or gts.ndim != 3 or (props.shape[0] and gts.shape[0] and props.shape[1:] != gts.shape[1:]):
            raise ValueError(f"image {i}: proposals {props.shape} and ground truth {gts.shape} must be "
                             "[N, H, W] stacks of one size")
        counts.append(props.shape[0])
        if gts.shape[0]:
            best.append(best_overlaps(props, gts))
    values = np.concatenate(best) if best else np.zeros(0)
    out = {"abo": float(values.mean()) if values.size else float("nan")}
    for t in thresholds:
        out[f"recall@{t:g}"] = float((values >= t).mean()) if values.size else float("nan")
    out.update(num_gt=int(values.size), num_images=len(counts),
               mean_proposals=float(np.mean(counts)) if counts else float("nan"), best_overlaps=values)
    return out
