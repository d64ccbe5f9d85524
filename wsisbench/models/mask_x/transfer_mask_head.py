"""Mask^X R-CNN's mask head: class-specific mask weights predicted from the box head, w_seg = T(w_det).

The FCN part is Mask R-CNN's (convs, 2x deconv); its last 1x1 conv has no learned class weights: they are
``T(w_det)`` for every class, recomputed at each forward pass, so classes without training masks (B) get
mask weights from their detection weights. Optionally fused with the class-agnostic MLP branch.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from torch import nn

from wsisbench.registry import MODELS

from .mlp_mask_branch import MLPMaskBranch, fuse_mask_scores
from .transfer_input import TransferInput
from .weight_transfer import WeightTransferFunction


@MODELS.register_module()
class TransferMaskHead(FCNMaskHead):
    """RoI features [N, C_in, S, S] + box head weights -> mask scores [N, K, M, M] (M = 2S with deconv).

    Args:
        transfer_input: :class:`TransferInput` arguments (``kind``, ``det_dim``, ``stop_grad``, ...);
            ``num_classes`` comes from this head.
        transfer: :class:`WeightTransferFunction` arguments (``num_layers``, ``hidden_dim``, ``activation``).
        mlp_branch: :class:`MLPMaskBranch` arguments (``hidden_dims``, ``reduce_channels``) to fuse the
            class-agnostic MLP branch, or None.
        **kwargs: :class:`mmdet.models.roi_heads.mask_heads.FCNMaskHead` arguments (``num_convs``,
            ``in_channels``, ``conv_out_channels``, ``num_classes``, ``roi_feat_size``, ``loss_mask``, ...).
    """

    #: PartialMaskRoIHead passes the box head's weights to heads that set this
    needs_det_weights = True

    def __init__(self, transfer_input: dict | None = None, transfer: dict | None = None,
                 mlp_branch: dict | None = None, **kwargs):
        kwargs["class_agnostic"] = False
        super().__init__(**kwargs)
        seg_dim = self.conv_logits.in_channels
        self.conv_logits = None  # replaced by T(w_det); FCNMaskHead.init_weights skips None
        self.transfer_input = TransferInput(num_classes=self.num_classes, **(transfer_input or {}))
        self.transfer = WeightTransferFunction(self.transfer_input.dim, seg_dim, **(transfer or {}))
        self.seg_bias = nn.Parameter(torch.zeros(1))
        self.mask_size = self.roi_feat_size[0] * (self.scale_factor if self.upsample is not None else 1)
        self.mlp_branch = None
        if mlp_branch is not None:
            self.mlp_branch = MLPMaskBranch(self.in_channels, self.roi_feat_size[0], self.mask_size, **mlp_branch)

    def mask_weights(self, det_weights: dict[str, torch.Tensor] | None) -> torch.Tensor:
        """w_seg [K, C] for every class."""
        return self.transfer(self.transfer_input(det_weights))

    def forward(self, x: torch.Tensor, det_weights: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        roi_feats = x
        for conv in self.convs:
            x = conv(x)
        if self.upsample is not None:
            x = self.upsample(x)
            if self.upsample_method == "deconv":
                x = self.relu(x)
        w_seg = self.mask_weights(det_weights)
        scores = F.conv2d(x, w_seg[:, :, None, None], self.seg_bias.expand(w_seg.shape[0]))
        mlp_scores = self.mlp_branch(roi_feats) if self.mlp_branch is not None else None
        return fuse_mask_scores(scores, mlp_scores)
