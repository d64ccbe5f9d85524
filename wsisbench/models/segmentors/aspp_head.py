"""DeepLab-v2's ASPP classifier: parallel dilated 3x3 convs to the classes, summed."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from mmengine.model import BaseModule
from torch import nn

from wsisbench.registry import MODELS


@MODELS.register_module()
class ASPPHead(BaseModule):
    """features [B, C, h, w] -> logits [B, num_classes, h, w]: ``sum_r conv3x3_dilation_r(x)``.

    Args:
        in_channels: C (2048 for ResNet-101).
        num_classes: output classes, background included.
        dilations: one branch per rate (DeepLab-v2: 6, 12, 18, 24; small maps: e.g. 1, 2, 3).
        channels: when > 0, each branch is ``3x3 conv (channels) -> ReLU -> dropout -> 1x1 conv`` (an
            "ASPP-lite" with hidden width); 0 gives DeepLab-v2's single conv per branch.
        dropout: dropout inside the branches (only with ``channels`` > 0).
    """

    def __init__(self, in_channels: int, num_classes: int, dilations: Sequence[int] = (6, 12, 18, 24),
                 channels: int = 0, dropout: float = 0.0, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        branches = []
        for rate in dilations:
            if channels > 0:
                branches.append(nn.Sequential(
                    nn.Conv2d(in_channels, channels, 3, padding=rate, dilation=rate), nn.ReLU(inplace=True),
                    nn.Dropout2d(dropout) if dropout > 0 else nn.Identity(), nn.Conv2d(channels, num_classes, 1)))
            else:
                branches.append(nn.Conv2d(in_channels, num_classes, 3, padding=rate, dilation=rate))
        self.branches = nn.ModuleList(branches)
        for branch in self.branches:
            last = branch[-1] if isinstance(branch, nn.Sequential) else branch
            nn.init.normal_(last.weight, std=0.01)
            nn.init.zeros_(last.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([branch(x) for branch in self.branches]).sum(dim=0)
