"""Constrain-to-boundary loss (SEC, used by DSRG and FickleNet): KL(Q || f) with Q the dense-CRF output.

``L = 1/n * sum_u sum_c Q_{u,c} log(Q_{u,c} / f_{u,c})``, with f the network's softmax and Q the CRF
refinement of f on the image; Q is a constant, so the gradient reaches the logits only. (The seed's
slide prints a leading minus; the KL divergence, which is minimised, is the positive quantity.)
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .dense_crf import dense_crf


def kl_to_crf(logits: torch.Tensor, crf_probs: torch.Tensor) -> torch.Tensor:
    """logits [B, C, H, W], crf_probs Q [B, C, H, W] (constant, > 0) -> mean over pixels of KL(Q || softmax)."""
    q = crf_probs.detach().to(logits.dtype)
    kl = (q * (q.log() - F.log_softmax(logits, dim=1))).sum(dim=1)
    return kl.mean()


def images_to_uint8(images: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """images [B, 3, H, W] RGB in 0..255 (any dtype) -> [B, h, w, 3] uint8 resized (bilinear) to ``size``."""
    x = images.detach().float()
    if tuple(x.shape[-2:]) != tuple(size):
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    return x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def crf_refine(logits: torch.Tensor, images: torch.Tensor, **crf_kwargs) -> torch.Tensor:
    """Dense-CRF refinement of softmax(logits) [B, C, h, w] on images resized to (h, w) -> Q [B, C, h, w]."""
    probs = torch.softmax(logits.detach().float(), dim=1).cpu().numpy()
    rgb = images_to_uint8(images, tuple(logits.shape[-2:]))
    q = np.stack([dense_crf(probs[b], rgb[b], **crf_kwargs) for b in range(probs.shape[0])])
    return torch.from_numpy(q).to(device=logits.device, dtype=logits.dtype)


def boundary_loss(logits: torch.Tensor, images: torch.Tensor, crf_probs: torch.Tensor | None = None,
                  **crf_kwargs) -> torch.Tensor:
    """Constrain-to-boundary loss of logits [B, C, h, w]; images [B, 3, H, W] RGB 0..255 (un-normalised).

    ``crf_probs`` may be passed when already computed (e.g. shared with region growing).
    """
    q = crf_refine(logits, images, **crf_kwargs) if crf_probs is None else crf_probs
    return kl_to_crf(logits, q)
