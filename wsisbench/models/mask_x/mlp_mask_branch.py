"""The class-agnostic MLP mask branch (report section 2.4), fused with an FCN mask head.

The MLP sees the whole RoI at once and predicts one M x M mask for any class (the object's 'gist');
its scores are tiled over the K classes and added to the FCN head's K x M x M scores before the sigmoid.
"""
from __future__ import annotations

import torch
from torch import nn


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
