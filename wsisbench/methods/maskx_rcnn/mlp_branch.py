"""The class-agnostic MLP mask branch of Mask^X R-CNN (fused with an FCN mask head) and the class-agnostic head.

The MLP sees the whole RoI at once and predicts one M x M mask for any class (the object's 'gist'); its
scores are tiled over the K classes and added to the FCN head's K x M x M scores before the sigmoid.
:class:`AgnosticMaskHead` is the paper's class-agnostic baseline: one FCN mask for every class, optionally
with the MLP branch ('class-agnostic+MLP', Table 3.3).
"""
from __future__ import annotations

import torch
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from torch import nn

from wsisbench.registry import MODELS


class MLPMaskBranch(nn.Module):
    """RoI features [N, C, S, S] -> class-agnostic mask scores [N, 1, M, M].

    Args:
        in_channels: C.
        roi_feat_size: S (the RoI extractor's output size, 14 in Mask R-CNN).
        mask_size: M (the FCN head's output size, 28 in Mask R-CNN).
        hidden_dims: widths of the hidden fully connected layers (ReLU after each).
        reduce_channels: a 1x1 conv to this many channels first (keeps the first fc small); 0 = none.
    """

    def __init__(self, in_channels: int = 256, roi_feat_size: int = 14, mask_size: int = 28,
                 hidden_dims=(1024,), reduce_channels: int = 0):
        super().__init__()
        self.mask_size = mask_size
        layers: list[nn.Module] = []
        if reduce_channels:
            layers += [nn.Conv2d(in_channels, reduce_channels, 1), nn.ReLU(inplace=True)]
            in_channels = reduce_channels
        layers.append(nn.Flatten(1))
        dim = in_channels * roi_feat_size * roi_feat_size
        for h in hidden_dims:
            layers += [nn.Linear(dim, h), nn.ReLU(inplace=True)]
            dim = h
        self.body = nn.Sequential(*layers)
        self.logits = nn.Linear(dim, mask_size * mask_size)
        for m in self.body:
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.kaiming_uniform_(m.weight, a=1)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.logits.weight, std=0.001)
        nn.init.zeros_(self.logits.bias)

    def forward(self, roi_feats: torch.Tensor) -> torch.Tensor:
        n = roi_feats.shape[0]
        return self.logits(self.body(roi_feats)).view(n, 1, self.mask_size, self.mask_size)


def fuse_mask_scores(fcn_scores: torch.Tensor, mlp_scores: torch.Tensor | None) -> torch.Tensor:
    """FCN scores [N, K, M, M] + class-agnostic MLP scores [N, 1, M, M] tiled K times -> [N, K, M, M]."""
    if mlp_scores is None:
        return fcn_scores
    return fcn_scores + mlp_scores.expand_as(fcn_scores)


@MODELS.register_module()
class AgnosticMaskHead(FCNMaskHead):
    """RoI features [N, C_in, S, S] -> class-agnostic mask scores [N, 1, M, M] (M = 2S with deconv).

    All classes share the same learned 1x1 mask weights (mmdet's ``class_agnostic=True``), so the head
    predicts masks for classes never seen with masks. ``mlp_branch`` (:class:`MLPMaskBranch` arguments)
    adds the MLP branch's scores before the sigmoid.
    """

    needs_det_weights = False

    def __init__(self, mlp_branch: dict | None = None, **kwargs):
        kwargs["class_agnostic"] = True
        super().__init__(**kwargs)
        self.mask_size = self.roi_feat_size[0] * (self.scale_factor if self.upsample is not None else 1)
        self.mlp_branch = None
        if mlp_branch is not None:
            self.mlp_branch = MLPMaskBranch(self.in_channels, self.roi_feat_size[0], self.mask_size, **mlp_branch)

    def forward(self, x: torch.Tensor, det_weights=None) -> torch.Tensor:
        scores = super().forward(x)
        mlp_scores = self.mlp_branch(x) if self.mlp_branch is not None else None
        return fuse_mask_scores(scores, mlp_scores)
