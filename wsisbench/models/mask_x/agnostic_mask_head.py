"""The class-agnostic baseline of Mask^X R-CNN: one FCN mask for every class, optionally fused with the
class-agnostic MLP branch ('class-agnostic+MLP', Table 3.3)."""
from __future__ import annotations

import torch
from mmdet.models.roi_heads.mask_heads import FCNMaskHead

from wsisbench.registry import MODELS

from .mlp_mask_branch import MLPMaskBranch, fuse_mask_scores


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
