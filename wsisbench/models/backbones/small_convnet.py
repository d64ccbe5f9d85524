"""A small VGG-style CNN trained from scratch (for quick CPU runs and tests)."""
from __future__ import annotations

import torch
from mmengine.model import BaseModule
from torch import nn

from wsisbench.registry import MODELS


@MODELS.register_module()
class SmallConvNet(BaseModule):
    """Input [B, 3, H, W] -> features [B, widths[-1], H/8, W/8].

    Four stages of two 3x3 conv-BN-ReLU layers; the first three end in 2x2 max pooling
    (output stride 8); the last stage is dilated (rate 2) to widen the receptive field.
    """

    def __init__(self, widths=(32, 64, 128, 256), init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        layers, c_in = [], 3
        for i, c_out in enumerate(widths):
            dil = 2 if i == len(widths) - 1 else 1
            layers += [nn.Conv2d(c_in, c_out, 3, padding=dil, dilation=dil, bias=False), nn.BatchNorm2d(c_out),
                       nn.ReLU(inplace=True),
                       nn.Conv2d(c_out, c_out, 3, padding=dil, dilation=dil, bias=False), nn.BatchNorm2d(c_out),
                       nn.ReLU(inplace=True)]
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            c_in = c_out
        self.body = nn.Sequential(*layers)
        self.out_channels = widths[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)
