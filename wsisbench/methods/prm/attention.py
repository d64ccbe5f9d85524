"""Residual Attention modules (Wang et al., "Residual Attention Network for Image Classification", CVPR 2017,
arXiv:1704.06904), built from mmcv ``ConvModule`` parts and kept fully convolutional.

An attention module: ``p`` pre-activation residual units, then two branches on their output x:

- trunk T(x): ``t`` pre-activation residual units;
- soft mask M(x) in [0, 1]: bottom-up (``depth`` times max-pool 3x3/2 + ``r`` residual units, with a skip
  unit at each level but the deepest), top-down (bilinear upsampling to the level above, plus its skip,
  + ``r`` units), then BN-ReLU-1x1 conv-BN-ReLU-1x1 conv-sigmoid;

output ``H = (1 + M) * T`` (attention residual learning), then ``p`` more units. ``detach_mask`` (set by
:func:`mask_branches_cut` for the PRM variant that cuts the mask branches from peak back-propagation)
detaches M: the forward value is unchanged, the top-down pass then sees M as a constant gate.

:class:`ResidualAttentionBackbone` inserts such modules into any backbone after named submodules (forward
hooks) and/or stacks them on top of its output.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import nn

from wsisbench.errors import WsisbenchError
from wsisbench.registry import MODELS

NORM = dict(type="BN", requires_grad=True)


def _preact(cin: int, cout: int, k: int, stride: int = 1) -> ConvModule:
    """BN -> ReLU -> conv (pre-activation order)."""
    return ConvModule(cin, cout, k, stride=stride, padding=k // 2, bias=False, norm_cfg=NORM,
                      act_cfg=dict(type="ReLU"), inplace=False, order=("norm", "act", "conv"))


class PreActResidualUnit(nn.Module):
    """Pre-activation bottleneck unit: [B, cin, h, w] -> [B, cout, h / stride, w / stride], no ReLU after the sum."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        mid = max(cout // 4, 1)
        self.body = nn.Sequential(_preact(cin, mid, 1), _preact(mid, mid, 3, stride), _preact(mid, cout, 1))
        self.shortcut = None if (cin == cout and stride == 1) else nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.body(x) + identity


def _units(c: int, n: int) -> nn.Sequential:
    return nn.Sequential(*[PreActResidualUnit(c, c) for _ in range(n)])


@MODELS.register_module()
class ResidualAttentionModule(BaseModule):
    """[B, C, h, w] -> [B, C, h, w]. Args: ``channels`` C; ``p``, ``t``, ``r`` unit counts; ``depth`` the
    number of down/up levels of the soft-mask branch (RAN uses 3, 2, 1 from high to low resolution)."""

    def __init__(self, channels: int, p: int = 1, t: int = 2, r: int = 1, depth: int = 1, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if depth < 1:
            raise WsisbenchError(f"ResidualAttentionModule: depth must be >= 1, got {depth}")
        c = channels
        self.pre, self.trunk, self.post = _units(c, p), _units(c, t), _units(c, p)
        self.down = nn.ModuleList([_units(c, r) for _ in range(depth)])
        self.skips = nn.ModuleList([PreActResidualUnit(c, c) for _ in range(depth - 1)])
        self.up = nn.ModuleList([_units(c, r) for _ in range(depth - 1)])
        self.mask_head = nn.Sequential(_preact(c, c, 1), _preact(c, c, 1))
        self.detach_mask = False

    def soft_mask(self, x: torch.Tensor) -> torch.Tensor:
        """M(x) in [0, 1], same shape as x."""
        sizes, skips, y = [], [], x
        for level, units in enumerate(self.down):
            sizes.append(y.shape[-2:])
            y = units(F.max_pool2d(y, 3, stride=2, padding=1))
            if level < len(self.skips):
                skips.append(self.skips[level](y))
        for level in reversed(range(len(self.down))):
            y = F.interpolate(y, size=tuple(sizes[level]), mode="bilinear", align_corners=False)
            if level > 0:
                y = self.up[level - 1](y + skips[level - 1])
        return torch.sigmoid(self.mask_head(y))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pre(x)
        trunk = self.trunk(x)
        mask = self.soft_mask(x)
        if self.detach_mask:
            mask = mask.detach()
        return self.post((1 + mask) * trunk)


@MODELS.register_module()
class ResidualAttentionBackbone(BaseModule):
    """A backbone with Residual Attention modules inserted after named submodules and stacked on its output.

    Args:
        backbone: config of any backbone ([B, 3, H, W] -> [B, C, h, w] or a tuple ending with it).
        insert: ``[dict(after='net._blocks.7', channels=80, depth=2), ...]``: a module on the output of that
            submodule of ``backbone`` (forward hook).
        top: ``dict(in_channels=320, channels=128, num_modules=1, depth=1)`` or None: a 1x1 ConvModule to
            ``channels`` and that many modules on the final output.
        out_channels: C of the output (``top.channels`` or the backbone's own).
    """

    def __init__(self, backbone: dict, insert: Sequence[dict] = (), top: dict | None = None,
                 out_channels: int | None = None, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.inserted = nn.ModuleList()
        self._hooks = []
        for spec in insert:
            spec = dict(spec)
            after = spec.pop("after")
            module = ResidualAttentionModule(**spec)
            self.inserted.append(module)
            try:
                target = self.backbone.get_submodule(after)
            except AttributeError:
                raise WsisbenchError(f"ResidualAttentionBackbone: the backbone has no submodule {after!r}") from None
            self._hooks.append(target.register_forward_hook(_replace_output(module)))
        self.top = None
        if top:
            top = dict(top)
            cin, c = top.pop("in_channels"), top.pop("channels")
            n = top.pop("num_modules", 1)
            self.top = nn.Sequential(ConvModule(cin, c, 1, norm_cfg=NORM, act_cfg=dict(type="ReLU"), inplace=False),
                                     *[ResidualAttentionModule(c, **top) for _ in range(n)])
        self.out_channels = out_channels or (c if top else getattr(self.backbone, "out_channels", None))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.backbone(x)
        feats = feats[-1] if isinstance(feats, (tuple, list)) else feats
        return self.top(feats) if self.top is not None else feats


def _replace_output(module: nn.Module):
    def hook(_, __, output):
        return module(output)
    return hook


@contextmanager
def mask_branches_cut(model: nn.Module, cut: bool = True) -> Iterator[None]:
    """Detach every attention module's soft mask inside (the forward values do not change)."""
    modules = [m for m in model.modules() if isinstance(m, ResidualAttentionModule)]
    old = [m.detach_mask for m in modules]
    for m in modules:
        m.detach_mask = cut
    try:
        yield
    finally:
        for m, flag in zip(modules, old):
            m.detach_mask = flag
