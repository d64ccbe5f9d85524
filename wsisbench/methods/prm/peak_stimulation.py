"""Peak stimulation (PRM, Zhou et al., CVPR 2018, arXiv:1804.00880, Sec. 3.2).

Peaks of a class response map (CRM) are its local maxima in a ``win x win`` window. The class score is the
mean of the CRM at the valid peaks (a Dirac sampling kernel at each peak), so the classification loss
reaches the network only through the peaks: ``d score_k / d M_k(x, y) = 1 / N_k`` at a valid peak and 0
elsewhere. During training a peak is valid above the median of its map (the reference implementation's
peak filter; ``filter`` chooses it).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from wsisbench.errors import WsisbenchError

FILTERS = ("median", "mean", "none")


def local_maxima(crms: torch.Tensor, win: int = 3) -> torch.Tensor:
    """bool [B, K, h, w]: True where a value equals the maximum of its ``win x win`` window (borders: the
    window is cut at the map's edge). Plateaus give several peaks."""
    if win % 2 != 1:
        raise WsisbenchError(f"peak window must be odd, got {win}")
    padded = F.pad(crms, (win // 2,) * 4, value=float("-inf"))
    return crms >= F.max_pool2d(padded, win, stride=1)


def map_threshold(crms: torch.Tensor, kind: str) -> torch.Tensor:
    """[B, K, 1, 1] per-map threshold of the training peak filter: 'median' (lower median), 'mean', 'none'."""
    flat = crms.flatten(2)
    if kind == "median":
        return flat.median(dim=2).values[..., None, None]
    if kind == "mean":
        return flat.mean(dim=2)[..., None, None]
    if kind == "none":
        return torch.full_like(flat[..., :1], float("-inf"))[..., None]
    raise WsisbenchError(f"peak filter must be one of {FILTERS}, got {kind!r}")


def peak_stimulation(crms: torch.Tensor, win: int = 3, filter: str = "median") -> tuple[torch.Tensor, torch.Tensor]:
    """Class scores from the valid peaks.

    Args:
        crms: [B, K, h, w] class response maps (logit units).
    Returns:
        scores: [B, K], the mean CRM value over each map's valid peaks (gradient only at those peaks);
        valid: bool [B, K, h, w], the valid peaks.
    """
    with torch.no_grad():
        valid = local_maxima(crms, win) & (crms >= map_threshold(crms, filter))
    weight = valid.to(crms.dtype)
    count = weight.sum(dim=(2, 3)).clamp(min=1.0)
    scores = (crms * weight).sum(dim=(2, 3)) / count
    return scores, valid


def multilabel_soft_margin(scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The multi-label soft-margin loss the paper trains with: mean over classes of the logistic loss."""
    return F.multilabel_soft_margin_loss(scores, target)
