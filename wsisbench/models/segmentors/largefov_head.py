"""DeepLab-LargeFOV's classifier head (fc6 as a dilated 3x3 conv, fc7 1x1, fc8 1x1 to the classes)."""
from __future__ import annotations

import torch
from mmengine.model import BaseModule
from torch import nn

from wsisbench.registry import MODELS


@MODELS.register_module()
class LargeFOVHead(BaseModule):
    """features [B, C, h, w] -> class logits [B, num_classes, h, w] (same resolution).

    Args:
        in_channels: C.
        num_classes: output classes, background included (VOC 21).
        channels: width of fc6/fc7 (1024 in DeepLab-LargeFOV).
        dilation: fc6's dilation (12 at output stride 8 in the paper; small maps need a small rate).
        dropout: dropout after fc6 and fc7 (0.5 in the paper).
    """

    def __init__(self, in_channels: int, num_classes: int, channels: int = 1024, dilation: int = 12,
                 dropout: float = 0.5, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.fc6 = nn.Conv2d(in_channels, channels, 3, padding=dilation, dilation=dilation)
        self.fc7 = nn.Conv2d(channels, channels, 1)
        self.fc8 = nn.Conv2d(channels, num_classes, 1)
        self.drop = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
        nn.init.normal_(self.fc8.weight, std=0.01)
        nn.init.zeros_(self.fc8.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(torch.relu(self.fc6(x)))
        x = self.drop(torch.relu(self.fc7(x)))
        return self.fc8(x)
