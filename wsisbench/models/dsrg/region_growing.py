"""Seeded region growing (DSRG, Huang et al. CVPR 2018), used by FickleNet's segmentation stage.

Seeds grow into neighbouring unlabelled pixels whose segmentation-network probability for the seed's
class is high: a pixel u is a candidate for class c when, among the classes present in the image
(background included), c has u's largest probability and that probability exceeds the class's
threshold (DSRG: 0.99 for background, 0.85 for foreground classes). Candidates join c when they are
connected to a seed of c through candidates of c (8-connectivity by default, as DSRG; 4 optional).
Repeating DSRG's neighbour visits until nothing changes gives exactly these connected components.
Existing seeds are kept; seeds of another class are never overwritten.

Note: DSRG's reference implementation feeds the dense-CRF-refined probabilities to this step; pass those
as ``probs`` to reproduce it (the paper describes the network's probabilities).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from scipy import ndimage

DSRG_BG_THRESHOLD = 0.99
DSRG_FG_THRESHOLD = 0.85


def _structure(connectivity: int) -> np.ndarray:
    if connectivity == 8:
        return np.ones((3, 3), dtype=bool)
    if connectivity == 4:
        return ndimage.generate_binary_structure(2, 1)
    raise ValueError(f"connectivity must be 4 or 8, got {connectivity!r}")


def seeded_region_growing(seeds, probs, present: Sequence[int], *, bg_threshold: float = DSRG_BG_THRESHOLD,
                          fg_threshold: float = DSRG_FG_THRESHOLD, connectivity: int = 8,
                          ignore_index: int = 255):
    """Grow one image's seeds.

    Args:
        seeds: [H, W] int labels: 0 background, 1..K classes, ``ignore_index`` unlabelled (np or torch).
        probs: [C, H, W] class probabilities (softmax; channel 0 background), C = K + 1.
        present: classes present in the image (label indices; background 0 is always added).
    Returns:
        grown seeds [H, W], the same type (numpy / torch, device) and dtype as ``seeds``.
    """
    is_torch = isinstance(seeds, torch.Tensor)
    seed_np = seeds.detach().cpu().numpy() if is_torch else np.asarray(seeds)
    prob_np = probs.detach().cpu().numpy() if isinstance(probs, torch.Tensor) else np.asarray(probs)
    if prob_np.ndim != 3 or prob_np.shape[1:] != seed_np.shape:
        raise ValueError(f"probs {prob_np.shape} must be [C, H, W] with H, W of seeds {seed_np.shape}")
    classes = sorted({0, *(int(c) for c in present)})
    if classes[-1] >= prob_np.shape[0]:
        raise ValueError(f"present class {classes[-1]} out of range for {prob_np.shape[0]} probability maps")
    structure = _structure(connectivity)

    selected = prob_np[classes]  # [P, H, W]
    best = np.asarray(classes)[selected.argmax(axis=0)]
    best_prob = selected.max(axis=0)
    grown = seed_np.copy()
    unlabelled = seed_np == ignore_index
    for c in classes:
        seed_c = seed_np == c
        if not seed_c.any():
            continue
        threshold = bg_threshold if c == 0 else fg_threshold
        candidate = (best == c) & (best_prob > threshold) & unlabelled
        components, _ = ndimage.label(candidate | seed_c, structure=structure)
        reached = np.unique(components[seed_c])
        reached = reached[reached > 0]
        grown[np.isin(components, reached) & candidate] = c
    if is_torch:
        return torch.as_tensor(grown, dtype=seeds.dtype, device=seeds.device)
    return grown.astype(seed_np.dtype, copy=False)


def grow_seeds_batch(seeds: torch.Tensor, probs: torch.Tensor, image_labels: torch.Tensor,
                     **kwargs) -> torch.Tensor:
    """Batch version: seeds [B, H, W], probs [B, C, H, W], image_labels [B, C] multi-hot -> [B, H, W].

    ``image_labels[b, c] > 0`` marks label c present in image b (channel 0, background, is implied).
    """
    out = [seeded_region_growing(seeds[b], probs[b], torch.nonzero(image_labels[b] > 0).flatten().tolist(),
                                 **kwargs) for b in range(seeds.shape[0])]
    return torch.stack(out) if out else seeds.clone()
