"""VGG-16 conv1-conv5 as DeepLab-LargeFOV modifies it: output stride 8, dilated conv5.

``features`` keeps torchvision's ``vgg16().features`` indices (conv layers at 0, 2, 5, ..., 28), so a
torchvision ImageNet state dict (``features.N.weight``) loads directly. DeepLab's changes: every max pool
is 3x3 with padding 1; pool1-3 have stride 2, pool4 and pool5 stride 1; conv5_x are dilated by 2.
A 321 x 321 input gives a 41 x 41 x 512 map (DeepLab's score-map size).
"""
from __future__ import annotations

import torch
from mmengine.model import BaseModule
from torch import nn

from wsisbench.registry import MODELS

from .checkpoint import load_imagenet_checkpoint

#: (number of convs, channels) of VGG-16's five blocks
VGG16_BLOCKS = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))


@MODELS.register_module()
class DeepLabVGG16(BaseModule):
    """images [B, 3, H, W] (ImageNet-normalised RGB) -> conv5 (or pool5) features [B, 512, ~H/8, ~W/8].

    Args:
        with_pool5: end with DeepLab's stride-1 pool5 (the segmenter's LargeFOV head follows it); the
            FickleNet classifier takes conv5_3 directly (False).
        pretrained: path of a torchvision-format VGG-16 ImageNet state dict, or None (random init).
        pretrained_option: the config key that sets ``pretrained`` (named in error messages).
    """

    def __init__(self, with_pool5: bool = True, pretrained: str | None = None,
                 pretrained_option: str = "pretrained", init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        layers: list[nn.Module] = []
        c_in = 3
        for block, (n_convs, c_out) in enumerate(VGG16_BLOCKS):
            dilation = 2 if block == 4 else 1
            for _ in range(n_convs):
                layers += [nn.Conv2d(c_in, c_out, 3, padding=dilation, dilation=dilation), nn.ReLU(inplace=True)]
                c_in = c_out
            if block < 4 or with_pool5:
                layers.append(nn.MaxPool2d(3, stride=2 if block < 3 else 1, padding=1))
        self.features = nn.Sequential(*layers)
        self.out_channels = 512
        self.load_report = None
        if pretrained is not None:
            self.load_report = load_imagenet_checkpoint(self, pretrained, "DeepLabVGG16", pretrained_option)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)
