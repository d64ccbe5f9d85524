"""DSRG's balanced seeding loss (after SEC): cross-entropy on seed pixels only.

For each image, the foreground term averages ``-log H_{u,c}`` over all foreground seed pixels (every
class c >= 1 together) and the background term averages ``-log H_{u,0}`` over background seed pixels;
the image's loss is their sum, and the batch loss is the mean over images. A term with no seed pixel is
0. Pixels labelled ``ignore_index`` (not seeds) are left out.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def seeding_loss(logits: torch.Tensor, seeds: torch.Tensor, ignore_index: int = 255) -> torch.Tensor:
    """logits [B, C, H, W] (class 0 background), seeds [B, H, W] int (0..C-1 or ignore) -> scalar."""
    if logits.dim() != 4 or seeds.shape != (logits.shape[0], *logits.shape[2:]):
        raise ValueError(f"seeds {tuple(seeds.shape)} must be [B, H, W] of logits {tuple(logits.shape)}")
    log_probs = F.log_softmax(logits, dim=1)
    valid = seeds != ignore_index
    target = torch.where(valid, seeds, torch.zeros_like(seeds)).long()
    if int(target.max()) >= logits.shape[1] or int(target.min()) < 0:
        raise ValueError(f"seed labels must lie in [0, {logits.shape[1] - 1}] or be {ignore_index}")
    nll = -log_probs.gather(1, target[:, None]).squeeze(1)  # [B, H, W]
    bg = (valid & (target == 0)).to(nll.dtype)
    fg = (valid & (target > 0)).to(nll.dtype)
    bg_term = (nll * bg).flatten(1).sum(1) / bg.flatten(1).sum(1).clamp_min(1.0)
    fg_term = (nll * fg).flatten(1).sum(1) / fg.flatten(1).sum(1).clamp_min(1.0)
    return (bg_term + fg_term).mean()
