"""Feature-map expansion (FickleNet Sec. 3.1.1).

Every sliding-window position of a ``k x k`` convolution is copied out as its own non-overlapping
``k x k`` block, so that a per-position dropout mask and ONE strided convolution (kernel ``k``, stride
``k``) replace ``H * W`` separate window convolutions.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def check_kernel_size(kernel_size: int) -> int:
    """Return ``kernel_size`` if it is a positive odd int (a window needs a centre), else raise ValueError."""
    if int(kernel_size) != kernel_size or kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"FickleNet kernel_size must be a positive odd integer, got {kernel_size!r}")
    return int(kernel_size)


def pad_for_windows(x: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Zero-pad ``x`` [B, C, H, W] by ``k // 2`` on each side -> [B, C, H + k - 1, W + k - 1].

    With this padding every one of the ``H * W`` positions has a full ``k x k`` window centred on it.
    """
    r = check_kernel_size(kernel_size) // 2
    return F.pad(x, (r, r, r, r)) if r else x


def expand_feature_map(x: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Lay out every position's ``k x k`` window as a block: x [B, C, H, W] -> x_expand [B, C, k*H, k*W].

    ``x_expand[b, c, i*k + u, j*k + v] == x_pad[b, c, i + u, j + v]`` where ``x_pad`` is
    :func:`pad_for_windows` of ``x``; i.e. block ``(i, j)`` is the window centred on position ``(i, j)``
    and its centre is ``x[b, c, i, j]``. Differentiable (one copy; the backward is the overlap-add).
    """
    k = check_kernel_size(kernel_size)
    b, c, h, w = x.shape
    windows = pad_for_windows(x, k).unfold(2, k, 1).unfold(3, k, 1)  # [B, C, H, W, k, k] (a view)
    return windows.permute(0, 1, 2, 4, 3, 5).reshape(b, c, h * k, w * k)


def block_view(x_expand: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """View x_expand [B, C, k*H, k*W] as [B, C, H, k, W, k] (block row, row in block, block col, col in block)."""
    b, c, hk, wk = x_expand.shape
    k = check_kernel_size(kernel_size)
    if hk % k or wk % k:
        raise ValueError(f"expanded map {tuple(x_expand.shape)} is not a multiple of kernel_size {k}")
    return x_expand.view(b, c, hk // k, k, wk // k, k)
