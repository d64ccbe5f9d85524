"""The object detection module of Deep Community Learning: OICR on a C4 network, for one image at a time.

Hwang et al., "Weakly Supervised Instance Segmentation by Deep Community Learning", WACV 2021,
arXiv:2001.11207, detect objects with OICR (Tang et al., "Multiple Instance Detection Network with Online
Instance Classifier Refinement", CVPR 2017, arXiv:1704.00138) on a ResNet-50 (He et al., "Deep Residual
Learning for Image Recognition", CVPR 2016, arXiv:1512.03385) cut after res4: RoI features are pooled from
the res4 map, go through res5 and feed the MIDN, the K refinement streams and the box regressor. The text
replaces batch norm with group norm (Wu & He, "Group Normalization", ECCV 2018, arXiv:1803.08494) for the
small batch; that is a backbone config (``norm_cfg=dict(type='GN', num_groups=32, requires_grad=True)``).

Shapes, for one image: R proposals, C object classes (no background), K refinement streams, C4 the
channels of the res4 map, D the channels of res5. Boxes are ``(x1, y1, x2, y2)`` in input-image pixels.

Our readings and choices (the text leaves them open):

- **RoIAlign instead of SPP.** The text puts "one SPP layer after res4" (a one-level SPP, i.e. RoI pooling).
  We use mmcv's ``RoIAlign`` (``aligned=True``) - our deviation - with the layout of mmdet's C4 Faster
  R-CNN: RoIAlign to 14 x 14, res5 with its first stride 2 gives 7 x 7, then global average pooling gives
  ``[R, D]`` (D = 2048 for ResNet-50), the 2048-d input the text gives the regressor.
- **res5.** Any module ``[R, C4, S, S] -> [R, D, s, s]``; for ResNet it is mmdet's C4 shared head
  ``ResLayer`` (depth 50, stage 3). With ``shared_head=None`` a small stage of our own is used
  (:class:`ConvRoIStage`, two 3 x 3 conv + norm + ReLU layers, the first with stride 2), meant for the
  EfficientNet-Lite0 variant (``EfficientNetLite0Pyramid`` with ``out_indices=(2,)``, C4 = 112 at stride 16).
  Reusing EfficientNet's last stage (its blocks 11-15, ImageNet-pretrained) would start better, but that
  backbone exposes no per-stage call, and the detector would depend on its internals; the cost of ours is a
  stage trained from scratch.
- **Pseudo ground truth of the regressor.** The text trains each proposal towards its "nearest pseudo
  ground-truth proposal". We take the seeds of the last refinement stream's pseudo labels: for each class in
  the image, the top-scoring proposal under the scores that supervise stream K (stream K-1 without
  background, or the MIDN scores when K = 1). The foreground proposals are those whose pseudo label is not
  background; with :func:`~wsisbench.methods.dcl.regressor.nearest_pseudo_gt`'s tie rule their nearest
  seed is the one that gave them their class. Each is weighted by its OICR loss weight (the seed's score) by
  default (``regress_weighting='seed'``, as OICR weights its own pseudo labels); ``'uniform'`` gives them
  weight 1. :meth:`OICRDetector.pseudo_ground_truth` is the one home of these seeds: the regressor's targets
  and the instance segmentation module's pseudo masks (:mod:`.segmentation`) both come from it.
- **Prediction.** OICR's test rule (the mean of the K streams without background); the regressed boxes are
  clipped to the image. Multi-scale and flip testing, and per-class NMS, are left to the caller;
  :meth:`OICRDetector.postprocess` is mmdet's ``multiclass_nms`` with OICR-style defaults (IoU 0.3).

Everything is single-image: OICR trains with one image per iteration, and the MIDN's softmax over proposals
couples the proposals of one image. Callers loop over a batch.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
from mmcv.cnn import ConvModule
from mmcv.ops import RoIAlign
from mmdet.models.backbones import ResNet
from mmdet.models.layers import multiclass_nms
from mmdet.structures.bbox import bbox2roi
from mmengine.model import BaseModule
from torch import Tensor, nn

from wsisbench.methods.dcl.oicr import (
    MIDNHead,
    RefinementHead,
    midn_loss,
    oicr_pseudo_labels,
    oicr_test_scores,
    refinement_losses,
)
from wsisbench.methods.dcl.regressor import (
    MODES,
    BoxRegressor,
    apply_deltas,
    regression_loss,
    regression_targets,
    select_class_deltas,
)
from wsisbench.registry import MODELS

REGRESS_WEIGHTINGS = ("seed", "uniform")
#: What scores the detections at test time: OICR's refinement streams, or the MIDN alone.
TEST_SCORES = ("refined", "midn")


class ConvRoIStage(nn.Module):
    """A small res5 stand-in for backbones without one: ``[R, in, S, S] -> [R, out, S/2, S/2]``.

    Two mmcv ``ConvModule`` (3 x 3 conv, norm, ReLU), the first with stride 2 (so RoIAlign 14 gives 7 x 7, as
    res5 does). ``out_channels`` defaults to twice ``in_channels`` (res5 doubles the width of res4). Batch
    norm by default: its batch here is the R RoIs of an image, not the single image.
    """

    def __init__(self, in_channels: int, out_channels: int | None = None,
                 norm_cfg: Mapping | None = None) -> None:
        super().__init__()
        self.out_channels = int(out_channels or 2 * in_channels)
        norm_cfg = dict(norm_cfg) if norm_cfg is not None else dict(type="BN", requires_grad=True)
        self.conv1 = ConvModule(in_channels, self.out_channels, 3, stride=2, padding=1, norm_cfg=norm_cfg)
        self.conv2 = ConvModule(self.out_channels, self.out_channels, 3, padding=1, norm_cfg=norm_cfg)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv2(self.conv1(x))


def _build(cfg: Mapping | nn.Module) -> nn.Module:
    return MODELS.build(dict(cfg)) if isinstance(cfg, Mapping) else cfg


def _last_map_channels(module: nn.Module) -> int:
    """Channels of the last map a module returns: its ``out_channels`` (int, or the last of a sequence); for
    mmdet's ``ResNet`` the width of its last output stage; else the output width of its last conv layer."""
    channels = getattr(module, "out_channels", None)
    if isinstance(channels, int):
        return channels
    if isinstance(channels, (tuple, list)) and channels:
        return int(channels[-1])
    if isinstance(module, ResNet):
        return module.block.expansion * module.base_channels * 2 ** max(module.out_indices)
    convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"cannot tell the output channels of {type(module).__name__}; pass them explicitly")
    return convs[-1].out_channels


class OICRDetector(BaseModule):
    """OICR (MIDN + K refinement streams) with DCL's box regressor, on a C4 network; one image per call.

    ``img [1, 3, H, W]`` -> backbone -> res4 ``[1, C4, H/16, W/16]`` -> RoIAlign of the proposals ->
    res5 -> global average pooling -> ``[R, D]`` -> :class:`~wsisbench.methods.dcl.oicr.MIDNHead`,
    :class:`~wsisbench.methods.dcl.oicr.RefinementHead` and
    :class:`~wsisbench.methods.dcl.regressor.BoxRegressor`.

    An mmengine ``BaseModule`` (so ``init_weights`` reaches the parts' ``init_cfg``, e.g. ImageNet weights);
    not registered in a registry yet.

    Args:
        backbone: config (built with wsisbench's ``MODELS``, e.g. ``type='mmdet.ResNet'`` with
            ``num_stages=3, out_indices=(2,)``) or module; it returns a map or a tuple whose last map is the
            res4-level map ``[1, C4, H/s, W/s]`` with ``s = feature_stride``. ``None`` when a network that
            shares its backbone with other modules computes res4 itself and calls :meth:`roi_features`.
        shared_head: config or module of the res5 stage applied to each RoI, e.g.
            ``dict(type='mmdet.ResLayer', depth=50, stage=3)``; ``None`` builds a :class:`ConvRoIStage`.
        num_classes: C, without background.
        num_refinements: K, the refinement streams (OICR's 3); 0 is the MIDN alone (WSDDN), which then
            scores proposals at test time by its own ``z``.
        regressor: ``'agnostic'`` (the paper's), ``'specific'`` or ``'none'``.
        roi_size: side of the RoIAlign output (14; res5 with stride 2 halves it).
        feature_stride: stride of the res4 map in input pixels (16).
        sampling_ratio: RoIAlign samples per bin side (0 = adaptive, mmdet's C4 setting).
        iou_thr: IoU above which a proposal takes its seed's class (OICR's 0.5).
        regressor_hidden: hidden width of the regressor's two FC layers.
        regress_weighting: ``'seed'`` or ``'uniform'`` weights of the foreground proposals in the
            regression loss (see the module docstring).
        in_channels: C4; inferred from the backbone when ``None`` (only used to build a :class:`ConvRoIStage`).
        roi_channels: D; inferred from the shared head when ``None``, else also the width of the
            :class:`ConvRoIStage` built when ``shared_head`` is None.
        init_cfg: mmengine init config of the whole detector.
    """

    def __init__(self, backbone: Mapping | nn.Module | None, shared_head: Mapping | nn.Module | None, num_classes: int,
                 num_refinements: int = 3, regressor: str = "agnostic", roi_size: int = 14,
                 feature_stride: int = 16, sampling_ratio: int = 0, iou_thr: float = 0.5,
                 regressor_hidden: int = 1024, regress_weighting: str = "seed", in_channels: int | None = None,
                 roi_channels: int | None = None, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if regressor not in MODES:
            raise ValueError(f"regressor must be one of {MODES}, got {regressor!r}")
        if regress_weighting not in REGRESS_WEIGHTINGS:
            raise ValueError(f"regress_weighting must be one of {REGRESS_WEIGHTINGS}, got {regress_weighting!r}")
        self.num_classes = int(num_classes)
        self.num_refinements = int(num_refinements)
        self.regressor_mode = regressor
        self.feature_stride = feature_stride
        self.iou_thr = iou_thr
        self.regress_weighting = regress_weighting

        self.backbone = None if backbone is None else _build(backbone)
        if shared_head is None:
            if in_channels is None and self.backbone is None:
                raise ValueError("OICRDetector without a backbone needs in_channels (C4) to build its res5 stage")
            c4 = in_channels if in_channels is not None else _last_map_channels(self.backbone)
            self.shared_head = ConvRoIStage(c4, roi_channels)
        else:
            self.shared_head = _build(shared_head)
        self.roi_channels = int(roi_channels if roi_channels is not None else _last_map_channels(self.shared_head))
        self.roi_align = RoIAlign(roi_size, spatial_scale=1.0 / feature_stride, sampling_ratio=sampling_ratio,
                                  pool_mode="avg", aligned=True)
        self.midn = MIDNHead(self.roi_channels, self.num_classes)
        self.refine = (RefinementHead(self.roi_channels, self.num_classes, self.num_refinements)
                       if self.num_refinements > 0 else None)
        self.regressor = (None if regressor == "none" else
                          BoxRegressor(self.roi_channels, self.num_classes, regressor, regressor_hidden))

    @staticmethod
    def _check(img: Tensor, proposals: Tensor) -> None:
        if img.dim() != 4 or img.shape[0] != 1:
            raise ValueError(f"OICRDetector takes one image [1, 3, H, W], got shape {tuple(img.shape)}")
        if proposals.dim() != 2 or proposals.shape[1] != 4:
            raise ValueError(f"proposals must be [R, 4] xyxy boxes, got shape {tuple(proposals.shape)}")

    def forward_features(self, img: Tensor, proposals: Tensor) -> Tensor:
        """Pooled RoI features: ``img`` [1, 3, H, W], ``proposals`` [R, 4] (xyxy, pixels) -> ``[R, D]``
        (the backbone's res4 map, then :meth:`roi_features`)."""
        self._check(img, proposals)
        if self.backbone is None:
            raise ValueError("this OICRDetector has no backbone: call roi_features with the res4 map")
        feats = self.backbone(img)
        return self.roi_features(feats[-1] if isinstance(feats, (tuple, list)) else feats, proposals)

    def roi_features(self, res4: Tensor, proposals: Tensor) -> Tensor:
        """res4 map ``[1, C4, H/16, W/16]`` and proposals ``[R, 4]`` -> ``[R, D]``: RoIAlign
        (``spatial_scale = 1 / feature_stride``, ``aligned=True``; it replaces the text's SPP layer, our
        deviation) -> res5 -> global average pooling. Parts of a box outside the image sample zeros."""
        if res4.dim() != 4 or res4.shape[0] != 1:
            raise ValueError(f"roi_features takes the res4 map of one image [1, C4, h, w], got {tuple(res4.shape)}")
        rois = bbox2roi([proposals.to(res4.dtype)])  # [R, 5]: image index 0, then the box
        res5 = self.shared_head(self.roi_align(res4, rois))  # [R, D, s, s]
        return res5.mean(dim=(2, 3))

    def loss(self, img: Tensor, proposals: Tensor, image_labels: Tensor) -> dict[str, Tensor]:
        """Training losses of one image (:meth:`head_losses` of :meth:`forward_features`).

        Args:
            img: [1, 3, H, W].
            proposals: [R, 4] xyxy pixels, R >= 1.
            image_labels: [C], 1 for the classes in the image, else 0.
        """
        return self.head_losses(self.forward_features(img, proposals), proposals, image_labels)

    @staticmethod
    def supervising_scores(midn_scores: Tensor, refined: Sequence[Tensor]) -> Tensor:
        """The scores that supervise the last refinement stream, detached, ``[R, C]``: stream K-1's without
        background, or the MIDN's ``z`` when K <= 1."""
        return (midn_scores if len(refined) <= 1 else refined[-2][:, 1:]).detach()

    def pseudo_ground_truth(self, midn_scores: Tensor, refined: Sequence[Tensor], proposals: Tensor,
                            image_labels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The pseudo ground truth of one image: for each class present, the seed of the last stream's pseudo
        labels (the top-scoring proposal under :meth:`supervising_scores`). The regressor is trained towards
        these boxes; the IS module's pseudo masks are cut from them.

        Args:
            midn_scores: the MIDN's ``z`` ``[R, C]``.
            refined: the K streams' softmax scores ``[R, C + 1]`` (empty when K = 0).
            proposals: ``[R, 4]`` xyxy pixels.
            image_labels: ``[C]``, 1 for the classes in the image.
        Returns:
            ``boxes`` ``[G, 4]`` (xyxy pixels), ``labels`` ``[G]`` (long, ``0..C-1``) and ``scores`` ``[G]`` (the
            seeds' supervising scores, in [0, 1]), one per class present, in class order; detached.
        """
        return self._seeds(self.supervising_scores(midn_scores, refined), proposals, image_labels)

    @staticmethod
    def _seeds(last_input: Tensor, proposals: Tensor, image_labels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        present = torch.nonzero(image_labels.reshape(-1) > 0).flatten()
        if present.numel() == 0:
            return proposals.new_zeros((0, 4)), present, last_input.new_zeros(0)
        scores, seeds = last_input[:, present].max(dim=0)  # [G], one per class present
        return proposals[seeds].detach(), present, scores

    def head_losses(self, feats: Tensor, proposals: Tensor, image_labels: Tensor, return_seeds: bool = False):
        """Losses of the heads on pooled RoI features ``[R, D]`` of one image.

        Returns:
            Scalars: ``'loss_midn'`` (image-level BCE of the MIDN), ``'loss_refine'`` (sum of the K refinement
            losses; absent when K = 0) and, unless ``regressor='none'``, ``'loss_regress'`` (smooth L1
            towards the last stream's seeds). With ``return_seeds=True``, ``(losses, seeds)``: ``seeds`` is
            :meth:`pseudo_ground_truth`'s ``(boxes [G, 4], labels [G], scores [G])``.
        """
        midn = self.midn(feats)
        refined = self.refine(feats) if self.refine is not None else []
        losses = {"loss_midn": midn_loss(midn.image_scores, image_labels)}
        if refined:
            losses["loss_refine"] = torch.stack(
                refinement_losses(proposals, midn.proposal_scores, refined, image_labels, self.iou_thr)).sum()
        if self.regressor is None:
            if return_seeds:
                return losses, self.pseudo_ground_truth(midn.proposal_scores, refined, proposals, image_labels)
            return losses

        deltas = self.regressor(feats)  # [R, 4] or [R, 4C]
        # the scores that supervise the last stream (the MIDN's when K <= 1): its pseudo labels and seeds
        last_input = self.supervising_scores(midn.proposal_scores, refined)
        seeds = self._seeds(last_input, proposals, image_labels)
        if seeds[1].numel() == 0:
            losses["loss_regress"] = deltas.sum() * 0.0
            return (losses, seeds) if return_seeds else losses
        labels, weights = oicr_pseudo_labels(proposals, last_input, image_labels, self.iou_thr)
        targets = regression_targets(proposals, seeds[0])  # [R, 4]
        fg = labels > 0
        weights = weights * fg if self.regress_weighting == "seed" else fg.to(deltas.dtype)
        if self.regressor_mode == "specific":
            deltas = select_class_deltas(deltas, labels)
        losses["loss_regress"] = regression_loss(deltas, targets, weights)
        return (losses, seeds) if return_seeds else losses

    @torch.no_grad()
    def predict(self, img: Tensor, proposals: Tensor) -> tuple[Tensor, Tensor]:
        """Scores and boxes of one image, before NMS (the caller sets eval mode); see :meth:`head_predict`."""
        return self.head_predict(self.forward_features(img, proposals), proposals, tuple(img.shape[-2:]))

    @torch.no_grad()
    def head_predict(self, feats: Tensor, proposals: Tensor, image_size: tuple[int, int], scores: str = "refined",
                     regress: bool = True) -> tuple[Tensor, Tensor]:
        """Scores and boxes from pooled RoI features ``[R, D]``.

        Args:
            scores: ``'refined'`` (OICR's test rule, the mean of the K streams without background; the MIDN's
                when K = 0) or ``'midn'`` (the MIDN's proposal scores ``z``, the network scored as MIDN alone).
            regress: apply the box regressor (when there is one); False keeps the proposals.

        Returns:
            ``scores`` [R, C] in [0, 1] and ``boxes``: [R, 4] regressed and clipped to ``image_size`` (H, W)
            (``'agnostic'``), [R, C, 4] one box per class (``'specific'``), or the proposals (``'none'`` or
            ``regress=False``).
        """
        if scores not in TEST_SCORES:
            raise ValueError(f"scores must be one of {TEST_SCORES}, got {scores!r}")
        if self.refine is None or scores == "midn":
            out = self.midn(feats).proposal_scores
        else:
            out = oicr_test_scores(self.refine(feats))
        if self.regressor is None or not regress:
            return out, proposals
        boxes = apply_deltas(proposals.to(feats.dtype), self.regressor(feats), max_shape=image_size)
        if self.regressor_mode == "specific":
            boxes = boxes.view(-1, self.num_classes, 4)
        return out, boxes

    @staticmethod
    def postprocess(scores: Tensor, boxes: Tensor, score_thr: float = 1e-3, iou_thr: float = 0.3,
                    max_per_img: int = 100) -> tuple[Tensor, Tensor, Tensor]:
        """Per-class NMS (mmdet's ``multiclass_nms``) of :meth:`predict`'s output.

        ``score_thr``, ``iou_thr`` (0.3, Fast R-CNN's and OICR's test NMS) and ``max_per_img`` are our
        defaults. ``boxes`` is [R, 4] or [R, C, 4].

        Returns:
            ``boxes`` [N, 4], ``scores`` [N] and ``labels`` [N] (long, ``0..C-1``), best first.
        """
        num = scores.shape[0]
        with_bg = torch.cat([scores, scores.new_zeros(num, 1)], dim=1)  # multiclass_nms drops the last column
        dets, labels = multiclass_nms(boxes.reshape(num, -1), with_bg, score_thr,
                                      dict(type="nms", iou_threshold=iou_thr), max_num=max_per_img)
        return dets[:, :4], dets[:, 4], labels


__all__ = ["OICRDetector", "ConvRoIStage", "REGRESS_WEIGHTINGS", "TEST_SCORES"]
