"""Multi-label sigmoid cross-entropy for image-level labels (FickleNet Algorithm 1, line 7)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def multilabel_sigmoid_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean over images and classes of the binary cross-entropy of sigmoid(logits).

    logits [B, K] (pre-sigmoid scores S), labels [B, K] multi-hot (1 = class present) -> scalar.
    """
    if logits.shape != labels.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and labels {tuple(labels.shape)} differ in shape")
    return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
