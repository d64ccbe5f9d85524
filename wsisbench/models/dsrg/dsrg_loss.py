"""DSRG training objective, weakly and semi-supervised (FickleNet Sec. 3.3).

Weak images (image-level labels and seed cues): seeds are grown by seeded region growing on the current
network's probabilities, then ``L_seed`` (balanced seeding loss on the grown seeds) and ``L_boundary``
(KL to the dense-CRF refinement). Pixel-labelled images of the batch (``is_full``) contribute
``L_full``: ordinary cross-entropy over their labelled pixels. Total:
``L = L_seed + L_boundary + alpha * L_full`` (alpha = 2 in the paper); with no pixel-labelled image it is
the weakly supervised ``L_seed + L_boundary``. L_seed and L_boundary are computed on the weak images only.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from wsisbench.registry import MODELS

from .boundary_loss import crf_refine, kl_to_crf
from .region_growing import DSRG_BG_THRESHOLD, DSRG_FG_THRESHOLD, grow_seeds_batch
from .seeding_loss import seeding_loss


def full_supervision_loss(logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = 255) -> torch.Tensor:
    """Cross-entropy over labelled pixels: logits [B, C, h, w], labels [B, H, W] (logits upsampled to H, W)."""
    if tuple(labels.shape[-2:]) != tuple(logits.shape[-2:]):
        logits = F.interpolate(logits, size=labels.shape[-2:], mode="bilinear", align_corners=False)
    if not bool((labels != ignore_index).any()):
        return logits.sum() * 0.0
    return F.cross_entropy(logits, labels.long(), ignore_index=ignore_index)


@MODELS.register_module()
class DSRGLoss(nn.Module):
    """``L = L_seed + L_boundary + alpha * L_full`` for a segmentation network's logits.

    Args:
        alpha: weight of L_full (2 in the FickleNet paper).
        grow: run seeded region growing before the seeding loss (DSRG); False uses the seeds as given.
        grow_on: ``"probs"`` (network softmax, as the paper describes) or ``"crf"`` (CRF-refined, as
            DSRG's reference code does).
        bg_threshold, fg_threshold, connectivity: region-growing settings (DSRG: 0.99, 0.85, 8).
        crf: keyword arguments of :func:`dense_crf`.
    """

    def __init__(self, alpha: float = 2.0, grow: bool = True, grow_on: str = "probs",
                 bg_threshold: float = DSRG_BG_THRESHOLD, fg_threshold: float = DSRG_FG_THRESHOLD,
                 connectivity: int = 8, crf: dict | None = None, ignore_index: int = 255):
        super().__init__()
        if grow_on not in ("probs", "crf"):
            raise ValueError(f"grow_on must be 'probs' or 'crf', got {grow_on!r}")
        self.alpha, self.grow, self.grow_on = float(alpha), grow, grow_on
        self.grow_kwargs = dict(bg_threshold=bg_threshold, fg_threshold=fg_threshold,
                                connectivity=connectivity, ignore_index=ignore_index)
        self.crf = dict(crf or {})
        self.ignore_index = ignore_index

    def forward(self, logits: torch.Tensor, images: torch.Tensor, seeds: torch.Tensor,
                image_labels: torch.Tensor, full_labels: torch.Tensor | None = None,
                is_full: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Losses for one batch.

        Args:
            logits: [B, C, h, w] segmentation logits (channel 0 background).
            images: [B, 3, H, W] RGB 0..255 (for the CRF; resized to h, w).
            seeds: [B, h, w] seed cues (0 bg, 1..C-1 classes, ignore_index none); rows of full images unused.
            image_labels: [B, C] multi-hot image labels (background implied).
            full_labels: [B, H', W'] pixel labels; only rows with ``is_full`` are used.
            is_full: [B] bool, True for pixel-labelled images (default: none).
        Returns:
            dict with ``loss_seed``, ``loss_boundary``, ``loss_full`` and ``loss`` (the total).
        """
        b = logits.shape[0]
        full = torch.zeros(b, dtype=torch.bool, device=logits.device) if is_full is None \
            else is_full.to(device=logits.device, dtype=torch.bool)
        weak = ~full
        zero = logits.sum() * 0.0
        loss_seed = loss_boundary = loss_full = zero
        if bool(weak.any()):
            w_logits = logits[weak]
            q = crf_refine(w_logits, images[weak.to(images.device)], **self.crf)
            w_seeds = seeds[weak.to(seeds.device)]
            if self.grow:
                grow_probs = q if self.grow_on == "crf" else torch.softmax(w_logits.detach(), dim=1)
                w_seeds = grow_seeds_batch(w_seeds, grow_probs, image_labels[weak.to(image_labels.device)],
                                           **self.grow_kwargs)
            loss_seed = seeding_loss(w_logits, w_seeds.to(logits.device), self.ignore_index)
            loss_boundary = kl_to_crf(w_logits, q)
        if bool(full.any()):
            if full_labels is None:
                raise ValueError("is_full marks pixel-labelled images but full_labels is None")
            loss_full = full_supervision_loss(logits[full], full_labels[full.to(full_labels.device)].to(logits.device),
                                              self.ignore_index)
        total = loss_seed + loss_boundary + self.alpha * loss_full
        return dict(loss_seed=loss_seed, loss_boundary=loss_boundary, loss_full=loss_full, loss=total)
