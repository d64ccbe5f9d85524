"""The Deep Community Learning network: one backbone shared by the object detection module (OICR + box
regressor, :mod:`.detector`) and the instance mask generation module (multi-level CAMs, :mod:`.cam_levels`),
trained together on image labels and proposals.

    image [B, 3, H, W] -> backbone -> res2 [B, C2, H/4, W/4], res3 [B, C3, H/8, W/8], res4 [B, C4, H/16, W/16]
    res4 -> res5 (the detector's RoI stage applied to the whole map) -> res5 [B, D, H/32, W/32]
    detector: RoIAlign(res4, proposals) -> res5 -> GAP -> MIDN, K refinement streams, regressor
    IMG: {res5, res4, res3, res2}[:L] -> S x S grid -> conv -> GAP -> classifier; CAMs [B, L, C, S, S]
    IS (optional): res5 -> S x S grid -> 2 conv -> 1 x 1 conv; logits [B, C + 1, S, S]

The text shares "the output of the last residual block" with the IMG module "through upsampling", so one
res5 stage serves both paths: the detector's, on each RoI, and the IMG's, on the whole res4 map.

With ``roi_level='res5'`` (the embedded presets) the backbone runs to res5 itself and the detector pools its
RoIs there (Fast R-CNN's layout, OICR's own with VGG16), followed by a light RoI stage:

    backbone -> res2, res3, res4, res5 [B, C5, H/s, W/s]; detector: RoIAlign(res5, proposals) -> RoI stage ->
    GAP -> MIDN, K streams, regressor; IMG: res5 / res4 / res3 / res2 as above

Losses (all summed): the detector's ``loss_midn``, ``loss_refine`` and ``loss_regress`` (mean over the batch's
images; OICR trains one image at a time, so each image keeps its own softmax over proposals) and
``loss_cam`` (the IMG module's multi-label loss summed over levels, times ``cam_weight``); with the
instance segmentation module, ``loss_is`` (:mod:`.segmentation`: cross-entropy against pseudo masks cut from
the detector's pseudo ground-truth boxes by the fused CAM, times its ``weight``).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
from mmengine.model import BaseModel
from torch import Tensor

from wsisbench.registry import MODELS

from .cam_levels import LEVEL_ORDER, MultiLevelCAM, cam_loss, fuse_cams
from .detector import OICRDetector, _build
from .segmentation import IGNORE_INDEX, ISHead, is_loss, is_targets

#: Keywords of ``segmentation``: the IS head's and those of its loss.
SEGMENTATION_KEYS = ("channels", "weight", "threshold", "cam_levels", "norm_cfg")

#: the backbone's outputs, in order: res2 to res4, and res5 when the detector pools its RoIs from res5
BACKBONE_LEVELS = ("res2", "res3", "res4", "res5")
#: where the detector pools its RoI features: res4 (C4 layout: res5 runs on each RoI, ResNet in the paper) or
#: res5 (the backbone's last map, Fast R-CNN's layout as in OICR's VGG16; a light RoI stage follows)
ROI_LEVELS = ("res4", "res5")


def _channels(backbone, count: int) -> tuple[int, ...]:
    channels = getattr(backbone, "out_channels", None)
    if isinstance(channels, (tuple, list)) and len(channels) == count:
        return tuple(int(c) for c in channels)
    if hasattr(backbone, "block") and hasattr(backbone, "base_channels"):  # mmdet ResNet, stages 1..count
        return tuple(backbone.block.expansion * backbone.base_channels * 2 ** i for i in range(count))
    raise ValueError(f"the DCL backbone must return {', '.join(BACKBONE_LEVELS[:count])} and tell their channels "
                     f"(out_channels)")


@MODELS.register_module()
class DCLNetwork(BaseModel):
    """Detector + IMG on one backbone.

    Args:
        backbone: config of a backbone returning ``(res2, res3, res4)`` (e.g. ``EfficientNetLite0Pyramid`` with
            ``out_indices=(0, 1, 2)``, or mmdet ``ResNet`` with ``num_stages=3, out_indices=(0, 1, 2)``), and
            res5 as a fourth map when ``roi_level='res5'``.
        detector: :class:`OICRDetector` keywords without ``backbone`` and ``num_classes`` (``shared_head`` is
            the stage on each RoI: res5 with ``roi_level='res4'``; None builds a small conv stage).
        roi_level: ``'res4'`` (default: RoIAlign on res4, then the detector's res5 stage, which also makes the
            IMG's whole-image res5) or ``'res5'`` (RoIAlign on the backbone's res5, which the IMG uses as is).
        cams: :class:`MultiLevelCAM` keywords without ``num_classes`` and ``in_channels``, plus ``fuse``
            (``'mean'`` or ``'max'``).
        num_classes: C, without background.
        cam_weight: weight of the IMG loss.
        segmentation: ``None`` (default: no instance segmentation module) or
            ``dict(channels=256, weight=1.0, threshold=0.2, cam_levels=None, norm_cfg=None)``: an
            :class:`~wsisbench.methods.dcl.segmentation.ISHead` of width ``channels`` on res5 at the IMG grid,
            trained with ``weight`` times its cross-entropy against pseudo masks (the detector's pseudo
            ground-truth boxes, cut by the fused CAM of the first ``cam_levels`` trained levels, all when
            None, at ``threshold`` of its in-box maximum).
    """

    def __init__(self, backbone: Mapping, detector: Mapping, cams: Mapping, num_classes: int,
                 cam_weight: float = 1.0, data_preprocessor: Mapping | None = None, init_cfg=None,
                 segmentation: Mapping | None = None, roi_level: str = "res4"):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if roi_level not in ROI_LEVELS:
            raise ValueError(f"roi_level must be one of {ROI_LEVELS}, got {roi_level!r}")
        self.roi_level = roi_level
        self.num_classes = int(num_classes)
        self.backbone = _build(backbone)
        channels = dict(zip(BACKBONE_LEVELS, _channels(self.backbone, 4 if roi_level == "res5" else 3)))
        detector = dict(detector)
        detector.setdefault("in_channels", channels[roi_level])
        self.detector = OICRDetector(backbone=None, num_classes=self.num_classes, **detector)
        if roi_level == "res4":
            channels["res5"] = self.detector.roi_channels
        cams = dict(cams)
        self.fuse = cams.pop("fuse", "mean")
        self.cams = MultiLevelCAM(self.num_classes, in_channels=channels, **cams)
        self.cam_weight = float(cam_weight)
        self.is_head = None
        if segmentation is not None:
            seg = dict(segmentation)
            unknown = sorted(set(seg) - set(SEGMENTATION_KEYS))
            if unknown:
                raise ValueError(f"segmentation takes {SEGMENTATION_KEYS}, got unknown keys {unknown}")
            self.is_weight = float(seg.get("weight", 1.0))
            self.is_threshold = float(seg.get("threshold", 0.2))
            self.is_cam_levels = self._cam_levels(seg.get("cam_levels"))
            self.is_head = ISHead(channels["res5"], self.num_classes, self.cams.grid_size,
                                  channels=int(seg.get("channels", 256)), norm_cfg=seg.get("norm_cfg"))

    # ------------------------------------------------------------------ features
    def levels(self, inputs: Tensor) -> dict[str, Tensor]:
        """``[B, 3, H, W]`` -> ``{'res2', 'res3', 'res4', 'res5'}`` maps (res5 only when the IMG or the IS module
        uses it)."""
        feats = dict(zip(BACKBONE_LEVELS, self.backbone(inputs)))
        if self.roi_level == "res4" and ("res5" in self.cams.level_names or self.is_head is not None):
            feats["res5"] = self.detector.shared_head(feats["res4"])
        return feats

    # ------------------------------------------------------------------ training
    def forward(self, inputs: Tensor, data_samples=None, mode: str = "tensor"):
        if isinstance(data_samples, dict):  # pseudo_collate: {key: [value per sample]}
            n = len(data_samples["gt_labels"])
            data_samples = [{k: v[i] for k, v in data_samples.items() if len(v) == n} for i in range(n)]
        if mode == "loss":
            return self.loss(inputs, data_samples)
        if mode == "tensor":
            return self.cams(self.levels(inputs))[0]
        raise ValueError(f"DCLNetwork.forward: mode must be 'loss' or 'tensor', got {mode!r} "
                         f"(prediction goes through predict_image)")

    def loss(self, inputs: Tensor, data_samples: Sequence[dict]) -> dict[str, Tensor]:
        """``inputs`` [B, 3, H, W]; each sample holds ``gt_labels`` float [C] and ``proposals`` [R, 4] (xyxy in
        the input's pixels)."""
        feats = self.levels(inputs)
        labels = torch.stack([torch.as_tensor(s["gt_labels"], dtype=inputs.dtype) for s in data_samples])
        labels = labels.to(inputs.device)
        losses: dict[str, Tensor] = {}
        segmentation = self.is_head is not None
        pseudo_gt = []   # per image: the detector's (boxes [G, 4], labels [G], scores [G]), with IS only
        for i, sample in enumerate(data_samples):
            boxes = torch.as_tensor(sample["proposals"], dtype=inputs.dtype, device=inputs.device)
            rois = self.detector.roi_features(feats[self.roi_level][i:i + 1], boxes)
            head = self.detector.head_losses(rois, boxes, labels[i], return_seeds=segmentation)
            if segmentation:
                head, seeds = head
                pseudo_gt.append(seeds)
            for key, value in head.items():
                losses[key] = losses.get(key, 0.0) + value / len(data_samples)
        logits, cams = self.cams(feats)
        losses["loss_cam"] = self.cam_weight * cam_loss(logits, labels)
        if segmentation:
            losses["loss_is"] = self._is_loss(feats["res5"], cams, pseudo_gt, tuple(inputs.shape[-2:]))
        return losses

    def _cam_levels(self, cam_levels: int | None) -> int:
        """The number of trained CAM levels to fuse (all when None), checked."""
        levels = len(self.cams.level_names) if cam_levels is None else int(cam_levels)
        if not 1 <= levels <= len(self.cams.level_names):
            raise ValueError(f"cam_levels must be in 1..{len(self.cams.level_names)} (the trained levels "
                             f"{self.cams.level_names}), got {cam_levels}")
        return levels

    def _is_loss(self, res5: Tensor, cams: Tensor, pseudo_gt: Sequence[tuple[Tensor, Tensor, Tensor]],
                 image_size: tuple[int, int]) -> Tensor:
        """``loss_is`` of a batch: res5 ``[B, D, h, w]``, CAMs ``[B, L, C, S, S]``, each image's pseudo ground
        truth and the input's ``(H, W)`` -> scalar (see :mod:`.segmentation`)."""
        targets = torch.stack([
            is_targets(fuse_cams(cams[i, :self.is_cam_levels].detach(), self.fuse), *gt, image_size,
                       threshold=self.is_threshold, ignore_index=IGNORE_INDEX)
            for i, gt in enumerate(pseudo_gt)])   # [B, S, S]
        return is_loss(self.is_head(res5), targets, self.is_weight, IGNORE_INDEX)

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def predict_image(self, inputs: Tensor, proposals: Tensor, scores: str = "refined", regress: bool = True,
                      cam_levels: int | None = None, with_segmentation: bool = False) -> tuple[Tensor, ...]:
        """One image ``[1, 3, H, W]`` and its proposals ``[R, 4]`` -> detector scores ``[R, C]``, boxes (``[R, 4]``,
        ``[R, C, 4]`` class-specific, or the proposals) and the fused CAM ``[C, S, S]`` (logit units); with
        ``with_segmentation=True`` a fourth output, the IS module's softmax ``[C + 1, S, S]`` (channel 0 =
        background).

        ``scores`` and ``regress`` are :meth:`OICRDetector.head_predict`'s; ``cam_levels`` fuses the first k
        trained levels (all when None), so that one trained network serves every row of the CAM-count ablation.
        """
        levels = self._cam_levels(cam_levels)
        if with_segmentation and self.is_head is None:
            raise ValueError("with_segmentation=True needs the instance segmentation module (model.segmentation)")
        feats = self.levels(inputs)
        rois = self.detector.roi_features(feats[self.roi_level], proposals.to(inputs.dtype))
        scores_, boxes = self.detector.head_predict(rois, proposals.to(inputs.dtype), tuple(inputs.shape[-2:]),
                                                    scores=scores, regress=regress)
        _, cams = self.cams(feats)
        if with_segmentation:
            probs = self.is_head(feats["res5"]).softmax(dim=1)[0]
            return scores_, boxes, fuse_cams(cams[0, :levels], self.fuse), probs
        return scores_, boxes, fuse_cams(cams[0, :levels], self.fuse)


__all__ = ["BACKBONE_LEVELS", "DCLNetwork", "LEVEL_ORDER", "SEGMENTATION_KEYS"]
