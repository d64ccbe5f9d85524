"""Center-fixed spatial dropout on the expanded feature map (FickleNet Sec. 3.1.2).

One Bernoulli draw per (sample, channel, position-in-window, sliding-window position): i.e. every
sliding-window position selects its own random subset of hidden units of its ``C x k x k`` window.
The kernel centre of every block is never dropped. It is applied at training AND at inference.

Scaling convention (used identically by the expanded and the naive implementation, since both take
the same multiplier tensor): with ``rescale=True`` (default) kept non-centre units are multiplied by
``1 / (1 - p)`` like standard inverted dropout, and the centre is kept with factor exactly 1 (it is
never dropped, so it needs no compensation). Every unit then keeps its expectation:
``E[mask * x_expand] == x_expand``. With ``rescale=False`` the kept units are multiplied by 1.
``p = 0`` gives an all-ones mask (the deterministic network).
"""
from __future__ import annotations

import torch
from torch import nn

from .expansion import block_view, check_kernel_size


def check_rate(p: float) -> float:
    """Return ``p`` if ``0 <= p < 1``, else raise ValueError."""
    if not 0.0 <= float(p) < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {p!r}")
    return float(p)


def center_fixed_dropout_mask(batch: int, channels: int, height: int, width: int, kernel_size: int,
                              p: float, *, rescale: bool = True, generator: torch.Generator | None = None,
                              device: torch.device | str | None = None,
                              dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Sample a multiplier mask [B, C, k*H, k*W] for an expanded map of a [B, C, H, W] feature map.

    Entries are 0 (dropped) or ``1/(1-p)`` (kept; 1 if ``rescale=False``); at every block centre
    ``(i*k + k//2, j*k + k//2)`` the entry is exactly 1 for every channel.
    """
    k, p = check_kernel_size(kernel_size), check_rate(p)
    shape = (batch, channels, height * k, width * k)
    if p == 0.0:
        return torch.ones(shape, device=device, dtype=dtype)
    keep = torch.rand(shape, generator=generator, device=device, dtype=torch.float32) >= p
    mask = keep.to(dtype)
    if rescale:
        mask = mask / (1.0 - p)
    r = k // 2
    block_view(mask, k)[:, :, :, r, :, r] = 1.0
    return mask


class CenterFixedSpatialDropout(nn.Module):
    """x_expand [B, C, k*H, k*W] -> x_expand * mask, with a fresh centre-fixed mask unless one is given.

    Active in train and eval mode alike (FickleNet's stochastic inference); ``p = 0`` is the identity.
    """

    def __init__(self, kernel_size: int, p: float, rescale: bool = True):
        super().__init__()
        self.kernel_size, self.p, self.rescale = check_kernel_size(kernel_size), check_rate(p), rescale

    def sample_mask(self, x_expand: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A mask shaped like ``x_expand`` (same device and dtype)."""
        b, c, hk, wk = x_expand.shape
        k = self.kernel_size
        return center_fixed_dropout_mask(b, c, hk // k, wk // k, k, self.p, rescale=self.rescale,
                                         generator=generator, device=x_expand.device, dtype=x_expand.dtype)

    def forward(self, x_expand: torch.Tensor, mask: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        if mask is None:
            if self.p == 0.0:
                return x_expand
            mask = self.sample_mask(x_expand, generator)
        return x_expand * mask

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, p={self.p}, rescale={self.rescale}"
