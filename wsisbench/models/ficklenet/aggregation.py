"""Aggregating FickleNet's N localization maps into a pseudo-label map (Sec. 3.2.2).

Rules (seed slides): a pixel takes class c when c's normalised map exceeds ``threshold`` (0.35 in the
paper) in some pass, i.e. ``peak > threshold``; when several classes do, the class with the highest
mean score over the passes wins; pixels of no class are left out of training (``ignore_index``, 255).

Background: the seed gives no rule for it, so the caller names one (the call fails otherwise):

- ``bg_threshold``: a pixel of no foreground class whose mean score is below ``bg_threshold`` for every
  present class is background (a score rule; 0 turns it off);
- ``saliency`` [H, W] in [0, 1] with ``saliency_threshold``: a pixel of no foreground class whose
  saliency is below the threshold is background (the saliency cue DSRG, FickleNet's segmentation stage,
  takes its background seeds from).

When both are given, both must hold. Foreground always takes precedence over background.
Labels: background 0, foreground class c (0-based head index) -> c + 1, left out -> ``ignore_index``.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch


def aggregate_maps(mean: torch.Tensor, peak: torch.Tensor, classes: Sequence[int], *,
                   threshold: float = 0.35, bg_threshold: float | None = None,
                   saliency: torch.Tensor | None = None, saliency_threshold: float | None = None,
                   ignore_index: int = 255) -> torch.Tensor:
    """mean, peak [Kp, H, W] (normalised maps, Kp = len(classes)) -> label map [H, W] int64."""
    if mean.shape != peak.shape or mean.dim() != 3 or mean.shape[0] != len(classes):
        raise ValueError(f"mean {tuple(mean.shape)} and peak {tuple(peak.shape)} must both be "
                         f"[{len(classes)}, H, W] for classes {list(classes)}")
    if bg_threshold is None and saliency is None:
        raise ValueError("no background rule: pass bg_threshold (score rule) or saliency with "
                         "saliency_threshold (the FickleNet seed states no background rule)")
    if (saliency is None) != (saliency_threshold is None):
        raise ValueError("saliency and saliency_threshold must be given together")
    h, w = mean.shape[-2:]
    labels = torch.full((h, w), ignore_index, dtype=torch.long, device=mean.device)

    background = torch.ones(h, w, dtype=torch.bool, device=mean.device)
    if bg_threshold is not None:
        top_mean = mean.amax(dim=0) if len(classes) else mean.new_zeros(h, w)
        background &= top_mean < bg_threshold
    if saliency is not None:
        if saliency.shape != (h, w):
            raise ValueError(f"saliency {tuple(saliency.shape)} does not match the maps' size {(h, w)}")
        background &= saliency.to(mean.device) < saliency_threshold
    labels[background] = 0

    if len(classes):
        hit = peak > threshold  # [Kp, H, W]
        score = torch.where(hit, mean, torch.full_like(mean, -1.0))
        best = score.argmax(dim=0)
        fg = hit.any(dim=0)
        class_labels = torch.as_tensor([int(c) + 1 for c in classes], device=mean.device)
        labels[fg] = class_labels[best[fg]]
    return labels
