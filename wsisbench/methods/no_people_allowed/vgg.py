"""VGG-16 with four extra convolutions, the classification network of NoPeopleAllowed's Step 1 (Sec. 3.1).

The paper takes "VGG16 architecture with 4 additional convolutional layers at the end, as proposed by" Integral
Object Mining via Online Attention Accumulation (Jiang et al., ICCV 2019). The VGG-16 part (Very Deep
Convolutional Networks for Large-Scale Image Recognition, Simonyan & Zisserman, ICLR 2015, arXiv:1409.1556) is
the shared :class:`wsisbench.models.segmentors.DeepLabVGG16` without pool5: conv1_1 .. conv5_3 at output
stride 8 (pool4 at stride 1, conv5 dilated by 2), loading a torchvision ImageNet state dict. ``extra`` holds
three 3x3 convolutions (512 channels, ReLU); the fourth extra layer is the 1x1 class convolution of
:class:`wsisbench.models.classifiers.GAPClassifier`, which sits on top.

Parameter names: ``vgg.*`` is the ImageNet part (the paper's lr 1e-4), ``extra.*`` new (lr 1e-3).
"""
from __future__ import annotations

import torch
from mmengine.model import BaseModule
from torch import nn

from wsisbench.models.segmentors import DeepLabVGG16
from wsisbench.registry import MODELS


@MODELS.register_module()
class VGG16Extra(BaseModule):
    """images [B, 3, H, W] (ImageNet-normalised RGB) -> features [B, C, ~H/8, ~W/8], C = ``extra_channels``.

    Args:
        num_extra: extra 3x3 conv + ReLU layers after conv5_3 (3 here; the class conv is the fourth).
        extra_channels: their width.
        pretrained: path of a torchvision-format VGG-16 ImageNet state dict, or None (random init).
    """

    def __init__(self, num_extra: int = 3, extra_channels: int = 512, pretrained: str | None = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.vgg = DeepLabVGG16(with_pool5=False, pretrained=pretrained)
        extra: list[nn.Module] = []
        in_ch = self.vgg.out_channels
        for _ in range(num_extra):
            conv = nn.Conv2d(in_ch, extra_channels, 3, padding=1)
            nn.init.normal_(conv.weight, std=0.01)
            nn.init.zeros_(conv.bias)
            extra += [conv, nn.ReLU(inplace=True)]
            in_ch = extra_channels
        self.extra = nn.Sequential(*extra)
        self.out_channels = in_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.extra(self.vgg(x))
