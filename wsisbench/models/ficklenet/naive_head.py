"""The naive FickleNet baseline (Table 4, "Naive"): one window convolution per sliding-window position.

For every position (i, j) the ``k x k`` window of the padded map is taken, the dropout multipliers of
that position are applied, and the class scores are the window's inner product with the kernel. It
takes the same mask [B, C, kH, kW] as the expanded implementation (block (i, j) = position (i, j)), so
both give identical outputs and gradients for the same mask; only speed and memory differ.
"""
from __future__ import annotations

import torch

from wsisbench.registry import MODELS

from .expansion import check_kernel_size, pad_for_windows
from .head import FickleNetHead


def naive_fickle_scores(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                        kernel_size: int, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Per-position loop: x [B, C, H, W], weight [K, C, k, k], mask [B, C, kH, kW] -> scores [B, K, H, W]."""
    k = check_kernel_size(kernel_size)
    b, c, h, w = x.shape
    x_pad = pad_for_windows(x, k)
    w_flat = weight.reshape(weight.shape[0], -1).t()  # [C*k*k, K]
    columns = []
    for i in range(h):
        for j in range(w):
            window = x_pad[:, :, i:i + k, j:j + k]  # [B, C, k, k]
            if mask is not None:
                window = window * mask[:, :, i * k:(i + 1) * k, j * k:(j + 1) * k]
            score = window.reshape(b, -1) @ w_flat  # [B, K]
            columns.append(score if bias is None else score + bias)
    return torch.stack(columns, dim=-1).view(b, weight.shape[0], h, w)


@MODELS.register_module()
class NaiveFickleNetHead(FickleNetHead):
    """:class:`FickleNetHead` whose stochastic selection uses :func:`naive_fickle_scores` (same parameters)."""

    def stochastic_scores(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return naive_fickle_scores(x, self.weight, self.bias, self.kernel_size, mask)
