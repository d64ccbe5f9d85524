"""Mask R-CNN for partially supervised training: masks for some classes (A), boxes for all (A and B).

Shared by Mask^X R-CNN and the baselines of its paper (GrabCut-trained Mask R-CNN, class-agnostic head,
oracle).

- :class:`PartialMaskRoIHead`: mmdet's ``StandardRoIHead`` whose mask loss keeps only the positive RoIs whose
  assigned ground truth has a label in ``mask_train_labels`` (the classes with mask annotations); RoIs of
  the other classes never reach the mask head in training, so their placeholder (empty) masks teach it
  nothing. Mask heads that set ``needs_det_weights`` get the box head's class-specific weights
  (:func:`detection_weights`) at every forward pass, in training and in testing. With ``train_mask_only``
  (stage-wise training, second stage): assignment and sampling as usual, then only the mask loss.
- :class:`PartialMaskRCNN`: mmdet's ``MaskRCNN`` with that RoI head; ``train_mask_only=True`` fixes backbone,
  neck, RPN and box head (no gradients, BN statistics frozen, run without autograd) so only the mask head
  learns, on the RPN's proposals.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from mmdet.models.detectors import MaskRCNN
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures.bbox import bbox2roi
from torch import nn

from wsisbench.registry import MODELS


def detection_weights(bbox_head: nn.Module) -> dict[str, torch.Tensor]:
    """The class-specific detection weights of an mmdet ``BBoxHead`` (K foreground classes).

    Returns ``{'cls': [K, D], 'box': [K, 4D]}`` (graph-connected views of ``fc_cls`` / ``fc_reg`` weights).
    mmdet puts the background logit last in ``fc_cls`` (dropped here) and orders ``fc_reg`` rows as
    ``4 * label + coordinate``.
    """
    num_classes = bbox_head.num_classes
    out = {}
    if getattr(bbox_head, "with_cls", True) and getattr(bbox_head, "fc_cls", None) is not None:
        out["cls"] = bbox_head.fc_cls.weight[:num_classes]
    if getattr(bbox_head, "with_reg", True) and getattr(bbox_head, "fc_reg", None) is not None:
        w = bbox_head.fc_reg.weight
        if getattr(bbox_head, "reg_class_agnostic", False) or w.shape[0] != 4 * num_classes:
            out["box_error"] = torch.empty(0)
        else:
            out["box"] = w.reshape(num_classes, 4 * w.shape[1])
    return out


@dataclass
class MaskSamples:
    """The positive RoIs of one image that train the mask head (what ``FCNMaskHead`` reads).

    pos_priors [P, 4] boxes, pos_assigned_gt_inds [P] indices into the image's GT, pos_gt_labels [P].
    """

    pos_priors: torch.Tensor
    pos_assigned_gt_inds: torch.Tensor
    pos_gt_labels: torch.Tensor


@MODELS.register_module()
class PartialMaskRoIHead(StandardRoIHead):
    """``StandardRoIHead`` with a mask loss restricted to the labels in ``mask_train_labels``.

    Args:
        mask_train_labels: 0-based labels of the classes with mask supervision (A); None = every class
            (the fully supervised oracle).
        train_mask_only: compute only the mask loss (the detector is frozen; stage-wise training).
        **kwargs: ``StandardRoIHead`` arguments.
    """

    def __init__(self, *args, mask_train_labels: Sequence[int] | None = None, train_mask_only: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.mask_train_labels = None if mask_train_labels is None else sorted({int(v) for v in mask_train_labels})
        self.train_mask_only = bool(train_mask_only)

    # ------------------------------------------------------------------ which RoIs train the mask head
    def mask_keep(self, pos_gt_labels: torch.Tensor) -> torch.Tensor:
        """bool [P]: positives whose GT label has mask supervision."""
        if self.mask_train_labels is None:
            return torch.ones_like(pos_gt_labels, dtype=torch.bool)
        allowed = torch.as_tensor(self.mask_train_labels, device=pos_gt_labels.device, dtype=pos_gt_labels.dtype)
        return torch.isin(pos_gt_labels, allowed)

    def mask_samples(self, sampling_results) -> tuple[list[MaskSamples], list[torch.Tensor]]:
        """The mask head's training RoIs per image, and the keep flags over each image's positives."""
        samples, keeps = [], []
        for res in sampling_results:
            keep = self.mask_keep(res.pos_gt_labels)
            samples.append(MaskSamples(res.pos_priors[keep], res.pos_assigned_gt_inds[keep],
                                       res.pos_gt_labels[keep]))
            keeps.append(keep)
        return samples, keeps

    # ------------------------------------------------------------------ forward / loss
    def _mask_forward(self, x, rois=None, pos_inds=None, bbox_feats=None) -> dict:
        assert (rois is not None) ^ (pos_inds is not None and bbox_feats is not None)
        if rois is not None:
            mask_feats = self.mask_roi_extractor(x[: self.mask_roi_extractor.num_inputs], rois)
            if self.with_shared_head:
                mask_feats = self.shared_head(mask_feats)
        else:
            mask_feats = bbox_feats[pos_inds]
        if getattr(self.mask_head, "needs_det_weights", False):
            mask_preds = self.mask_head(mask_feats, detection_weights(self.bbox_head))
        else:
            mask_preds = self.mask_head(mask_feats)
        return dict(mask_preds=mask_preds, mask_feats=mask_feats)

    def mask_loss(self, x, sampling_results, bbox_feats, batch_gt_instances) -> dict:
        samples, keeps = self.mask_samples(sampling_results)
        if not self.share_roi_extractor or bbox_feats is None:
            mask_results = self._mask_forward(x, bbox2roi([s.pos_priors for s in samples]))
        else:
            flags = []
            for res, keep in zip(sampling_results, keeps):
                flags += [keep, torch.zeros(res.neg_priors.shape[0], dtype=torch.bool, device=keep.device)]
            mask_results = self._mask_forward(x, pos_inds=torch.cat(flags), bbox_feats=bbox_feats)
        loss_and_target = self.mask_head.loss_and_target(
            mask_preds=mask_results["mask_preds"], sampling_results=samples,
            batch_gt_instances=batch_gt_instances, rcnn_train_cfg=self.train_cfg)
        mask_results.update(loss_mask=loss_and_target["loss_mask"], mask_samples=samples)
        return mask_results

    def loss(self, x, rpn_results_list, batch_data_samples) -> dict:
        if not self.train_mask_only:
            return super().loss(x, rpn_results_list, batch_data_samples)
        batch_gt_instances, batch_gt_instances_ignore, _ = unpack_gt_instances(batch_data_samples)
        sampling_results = []
        for i, rpn_results in enumerate(rpn_results_list):
            rpn_results.priors = rpn_results.pop("bboxes")
            assign_result = self.bbox_assigner.assign(rpn_results, batch_gt_instances[i],
                                                      batch_gt_instances_ignore[i])
            sampling_results.append(self.bbox_sampler.sample(assign_result, rpn_results, batch_gt_instances[i],
                                                             feats=[lvl[i][None] for lvl in x]))
        return dict(self.mask_loss(x, sampling_results, None, batch_gt_instances)["loss_mask"])


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
