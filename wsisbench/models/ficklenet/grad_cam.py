"""Grad-CAM as defined in the FickleNet seed, eq. (1): ``M^c = ReLU(sum_k x_k * dS^c / dx_k)``.

``x`` is the feature map the classifier head takes (conv5, before expansion), ``S^c`` the pre-sigmoid
image-level score of class c, and the product is element-wise (per channel k and position), summed over
channels. ``mode="channel_mean"`` gives the original Grad-CAM (gradients averaged over positions first).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

CAM_MODES = ("elementwise", "channel_mean")


def grad_cam(features: torch.Tensor, grads: torch.Tensor, mode: str = "elementwise") -> torch.Tensor:
    """features x [N, C, H, W], grads dS^c/dx [N, C, H, W] -> maps [N, H, W] (>= 0)."""
    if features.shape != grads.shape:
        raise ValueError(f"features {tuple(features.shape)} and grads {tuple(grads.shape)} differ in shape")
    if mode == "elementwise":
        cam = (features * grads).sum(dim=1)
    elif mode == "channel_mean":
        cam = (features * grads.mean(dim=(2, 3), keepdim=True)).sum(dim=1)
    else:
        raise ValueError(f"unknown Grad-CAM mode {mode!r}; valid: {', '.join(CAM_MODES)}")
    return torch.relu(cam)


def class_grad_cams(features: torch.Tensor, logits: torch.Tensor, classes: Sequence[int],
                    mode: str = "elementwise", retain_graph: bool = False) -> torch.Tensor:
    """Grad-CAM of each class in ``classes`` for every row: -> [N, len(classes), H, W].

    ``features`` [N, C, H, W] must require grad and ``logits`` [N, K] be computed from it with row n
    depending only on ``features[n]`` (independent samples or stochastic passes), so the gradient of
    ``logits[:, c].sum()`` gives every row's own dS^c/dx in one backward per class.
    """
    maps = []
    for i, c in enumerate(classes):
        keep = retain_graph or i < len(classes) - 1
        (grads,) = torch.autograd.grad(logits[:, int(c)].sum(), features, retain_graph=keep)
        maps.append(grad_cam(features.detach(), grads, mode))
    if not maps:
        n, _, h, w = features.shape
        return features.new_zeros(n, 0, h, w)
    return torch.stack(maps, dim=1)
