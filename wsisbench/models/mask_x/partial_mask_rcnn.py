"""Mask R-CNN for partially supervised training, with the stage-wise option of Mask^X R-CNN.

End to end (default): mmdet's Mask R-CNN; the RoI head (:class:`PartialMaskRoIHead`) restricts the mask
loss to the classes with masks. Stage-wise second stage (``train_mask_only=True``): backbone, neck, RPN
and box head are fixed (no gradients, BN statistics frozen, run without autograd); only the mask head
learns, on the RPN's proposals.
"""
from __future__ import annotations

import torch
from mmdet.models.detectors import MaskRCNN

from wsisbench.registry import MODELS

#: parameter-name prefix of the part that learns in the second stage
MASK_HEAD_PREFIX = "roi_head.mask_head."


@MODELS.register_module()
class PartialMaskRCNN(MaskRCNN):
    """Images [B, 3, H, W] -> losses (train) or instances with masks (test), as mmdet's ``MaskRCNN``.

    Args:
        train_mask_only: freeze the detector and train only ``roi_head.mask_head``.
        **kwargs: ``MaskRCNN`` arguments (``backbone``, ``neck``, ``rpn_head``, ``roi_head``, ``train_cfg``,
            ``test_cfg``, ``data_preprocessor``, ``init_cfg``).
    """

    def __init__(self, *args, train_mask_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.train_mask_only = bool(train_mask_only)
        if self.train_mask_only:
            self.roi_head.train_mask_only = True
            for name, p in self.named_parameters():
                if not name.startswith(MASK_HEAD_PREFIX):
                    p.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.train_mask_only:
            for module in (self.backbone, self.neck, self.rpn_head, self.roi_head.bbox_head):
                module.eval()
        return self

    def loss(self, batch_inputs: torch.Tensor, batch_data_samples) -> dict:
        if not self.train_mask_only:
            return super().loss(batch_inputs, batch_data_samples)
        with torch.no_grad():
            x = self.extract_feat(batch_inputs)
            proposal_cfg = self.train_cfg.get("rpn_proposal", self.test_cfg.rpn)
            metas = [s.metainfo for s in batch_data_samples]
            rpn_results = self.rpn_head.predict_by_feat(*self.rpn_head(x), batch_img_metas=metas,
                                                        cfg=proposal_cfg, rescale=False)
        return self.roi_head.loss(x, rpn_results, batch_data_samples)
