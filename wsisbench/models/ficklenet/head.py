"""FickleNet's stochastic classifier head (Sec. 3.1): expansion, centre-fixed dropout, one strided conv, GAP.

Input is a backbone's conv5 feature map x [B, C, H, W]; output logits [B, K] (GAP of per-position class
scores [B, K, H, W]; sigmoid is applied in the loss). One ``k x k`` weight [K, C, k, k] serves all three
hidden-unit selections of Table 7:

- ``"stochastic"`` (S): expand x to [B, C, kH, kW], centre-fixed spatial dropout, conv(kernel k, stride k);
- ``"general"`` (G): ordinary dropout on x [B, C, H, W] (per element, or per channel with
  ``general_mode="channel"``), then the ``k x k`` conv (padding k//2);
- ``"deterministic"`` (D): the ``k x k`` conv on x (padding k//2) without dropout.

``train_selection`` is used in train mode and ``infer_selection`` in eval mode; both default to S, in which
dropout is active at inference too. Kernel size: the seed (slides) does not state it (its Fig. 3 only
illustrates a 7x7 kernel), hence the default 3; set ``kernel_size`` from the paper preset.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from wsisbench.registry import MODELS

from .center_fixed_dropout import CenterFixedSpatialDropout, center_fixed_dropout_mask, check_rate
from .classification_loss import multilabel_sigmoid_loss
from .expansion import check_kernel_size, expand_feature_map

SELECTIONS = ("stochastic", "general", "deterministic")


GENERAL_MODES = ("element", "channel")


def general_dropout_mask(shape: tuple[int, int, int, int], p: float, *, mode: str = "element",
                         generator: torch.Generator | None = None, device=None,
                         dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Ordinary inverted-dropout multipliers for x [B, C, H, W]: 0 or ``1/(1-p)``, nothing kept fixed.

    ``mode="element"`` draws per unit; ``"channel"`` (spatial dropout) per (sample, channel), broadcast
    over positions (the returned mask is then [B, C, 1, 1]).
    """
    p = check_rate(p)
    if mode not in GENERAL_MODES:
        raise ValueError(f"unknown general dropout mode {mode!r}; valid: {', '.join(GENERAL_MODES)}")
    draw = tuple(shape) if mode == "element" else (*shape[:2], 1, 1)
    if p == 0.0:
        return torch.ones(draw, device=device, dtype=dtype)
    keep = torch.rand(draw, generator=generator, device=device, dtype=torch.float32) >= p
    return keep.to(dtype) / (1.0 - p)


@MODELS.register_module()
class FickleNetHead(nn.Module):
    """Stochastic hidden-unit selection classifier: x [B, C, H, W] -> logits [B, K].

    Args:
        in_channels: C of the conv5 feature map.
        num_classes: K foreground classes (multi-label; no background class).
        kernel_size: odd window size k (default 3; see module docstring).
        dropout_p: rate p of centre-fixed (S) or general (G) dropout; 0 gives the deterministic network.
        rescale: multiply kept non-centre units by 1/(1-p) (see ``center_fixed_dropout``).
        train_selection / infer_selection: one of ``SELECTIONS`` for train / eval mode.
        general_mode: ``"element"`` or ``"channel"`` dropout for the general (G) selection.
    """

    def __init__(self, in_channels: int, num_classes: int, kernel_size: int = 3, dropout_p: float = 0.9,
                 rescale: bool = True, train_selection: str = "stochastic",
                 infer_selection: str = "stochastic", bias: bool = True, general_mode: str = "element"):
        super().__init__()
        for sel in (train_selection, infer_selection):
            if sel not in SELECTIONS:
                raise ValueError(f"unknown hidden-unit selection {sel!r}; valid: {', '.join(SELECTIONS)}")
        self.in_channels, self.num_classes = int(in_channels), int(num_classes)
        self.kernel_size = check_kernel_size(kernel_size)
        self.dropout_p = check_rate(dropout_p)
        self.train_selection, self.infer_selection = train_selection, infer_selection
        if general_mode not in GENERAL_MODES:
            raise ValueError(f"unknown general dropout mode {general_mode!r}; valid: {', '.join(GENERAL_MODES)}")
        self.general_mode = general_mode
        k = self.kernel_size
        self.weight = nn.Parameter(torch.empty(self.num_classes, self.in_channels, k, k))
        self.bias = nn.Parameter(torch.empty(self.num_classes)) if bias else None
        self.dropout = CenterFixedSpatialDropout(k, self.dropout_p, rescale)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Same initialisation as ``nn.Conv2d``."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.weight[0].numel())
            nn.init.uniform_(self.bias, -bound, bound)

    @property
    def selection(self) -> str:
        """The selection used now: ``train_selection`` in train mode, ``infer_selection`` in eval mode."""
        return self.train_selection if self.training else self.infer_selection

    def sample_mask(self, x: torch.Tensor, selection: str | None = None,
                    generator: torch.Generator | None = None) -> torch.Tensor | None:
        """Dropout multipliers for feature map x [B, C, H, W] under ``selection``.

        S: [B, C, kH, kW] centre-fixed mask; G: [B, C, H, W] (element) or [B, C, 1, 1] (channel); D: None.
        """
        sel = selection or self.selection
        b, c, h, w = x.shape
        if sel == "stochastic":
            return center_fixed_dropout_mask(b, c, h, w, self.kernel_size, self.dropout_p,
                                             rescale=self.dropout.rescale, generator=generator,
                                             device=x.device, dtype=x.dtype)
        if sel == "general":
            return general_dropout_mask((b, c, h, w), self.dropout_p, mode=self.general_mode,
                                        generator=generator, device=x.device, dtype=x.dtype)
        return None

    def stochastic_scores(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Map-expansion implementation: x [B, C, H, W], mask [B, C, kH, kW] or None -> [B, K, H, W]."""
        x_expand = expand_feature_map(x, self.kernel_size)
        if mask is not None:
            x_expand = x_expand * mask
        return F.conv2d(x_expand, self.weight, self.bias, stride=self.kernel_size)

    def position_scores(self, x: torch.Tensor, mask: torch.Tensor | None = None, selection: str | None = None,
                        generator: torch.Generator | None = None) -> torch.Tensor:
        """Class scores per sliding-window position: x [B, C, H, W] -> [B, K, H, W] (before sigmoid).

        ``mask`` (from :meth:`sample_mask`) fixes the random selection; otherwise a fresh one is drawn.
        """
        sel = selection or self.selection
        if sel not in SELECTIONS:
            raise ValueError(f"unknown hidden-unit selection {sel!r}; valid: {', '.join(SELECTIONS)}")
        if mask is None and self.dropout_p > 0.0:
            mask = self.sample_mask(x, sel, generator)
        if sel == "stochastic":
            return self.stochastic_scores(x, mask)
        if sel == "general" and mask is not None:
            x = x * mask
        return F.conv2d(x, self.weight, self.bias, padding=self.kernel_size // 2)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, selection: str | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """Image-level logits S [B, K]: global average pooling of :meth:`position_scores`."""
        return self.position_scores(x, mask, selection, generator).mean(dim=(2, 3))

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Multi-label sigmoid cross-entropy of logits [B, K] against multi-hot labels [B, K]."""
        return multilabel_sigmoid_loss(logits, labels)

    def extra_repr(self) -> str:
        return (f"in_channels={self.in_channels}, num_classes={self.num_classes}, "
                f"kernel_size={self.kernel_size}, dropout_p={self.dropout_p}, "
                f"train_selection={self.train_selection!r}, infer_selection={self.infer_selection!r}")
