"""The Deep Community Learning network: one backbone shared by the object detection module (OICR + box
regressor, :mod:`.detector`) and the instance mask generation module (multi-level CAMs, :mod:`.cam_levels`),
trained together on image labels and proposals.

    image [B, 3, H, W] -> backbone -> res2 [B, C2, H/4, W/4], res3 [B, C3, H/8, W/8], res4 [B, C4, H/16, W/16]
    res4 -> res5 (the detector's RoI stage applied to the whole map) -> res5 [B, D, H/32, W/32]
    detector: RoIAlign(res4, proposals) -> res5 -> GAP -> MIDN, K refinement streams, regressor
    IMG: {res5, res4, res3, res2}[:L] -> S x S grid -> conv -> GAP -> classifier; CAMs [B, L, C, S, S]

The text shares "the output of the last residual block" with the IMG module "through upsampling", so one
res5 stage serves both paths: the detector's, on each RoI, and the IMG's, on the whole res4 map.

Losses (all summed): the detector's ``loss_midn``, ``loss_refine`` and ``loss_regress`` (mean over the batch's
images; OICR trains one image at a time, so each image keeps its own softmax over proposals) and
``loss_cam`` (the IMG module's multi-label loss summed over levels, times ``cam_weight``).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
from mmengine.model import BaseModel
from torch import Tensor

from wsisbench.registry import MODELS

from .cam_levels import LEVEL_ORDER, MultiLevelCAM, cam_loss, fuse_cams
from .detector import OICRDetector, _build

#: the backbone's outputs, in order (the res5 level comes from the detector's RoI stage)
BACKBONE_LEVELS = ("res2", "res3", "res4")


def _channels(backbone) -> tuple[int, ...]:
    channels = getattr(backbone, "out_channels", None)
    if isinstance(channels, (tuple, list)) and len(channels) == len(BACKBONE_LEVELS):
        return tuple(int(c) for c in channels)
    if hasattr(backbone, "block") and hasattr(backbone, "base_channels"):  # mmdet ResNet, stages 1-3
        return tuple(backbone.block.expansion * backbone.base_channels * 2 ** i for i in range(3))
    raise ValueError("the DCL backbone must return res2, res3 and res4 and tell their channels (out_channels)")


@MODELS.register_module()
class DCLNetwork(BaseModel):
    """Detector + IMG on one backbone.

    Args:
        backbone: config of a backbone returning ``(res2, res3, res4)`` (e.g. ``EfficientNetLite0Pyramid`` with
            ``out_indices=(0, 1, 2)``, or mmdet ``ResNet`` with ``num_stages=3, out_indices=(0, 1, 2)``).
        detector: :class:`OICRDetector` keywords without ``backbone`` and ``num_classes`` (``shared_head`` is
            the res5 stage; None builds a small conv stage on C4).
        cams: :class:`MultiLevelCAM` keywords without ``num_classes`` and ``in_channels``, plus ``fuse``
            (``'mean'`` or ``'max'``).
        num_classes: C, without background.
        cam_weight: weight of the IMG loss.
    """

    def __init__(self, backbone: Mapping, detector: Mapping, cams: Mapping, num_classes: int,
                 cam_weight: float = 1.0, data_preprocessor: Mapping | None = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.num_classes = int(num_classes)
        self.backbone = _build(backbone)
        channels = dict(zip(BACKBONE_LEVELS, _channels(self.backbone)))
        detector = dict(detector)
        detector.setdefault("in_channels", channels["res4"])
        self.detector = OICRDetector(backbone=None, num_classes=self.num_classes, **detector)
        channels["res5"] = self.detector.roi_channels
        cams = dict(cams)
        self.fuse = cams.pop("fuse", "mean")
        self.cams = MultiLevelCAM(self.num_classes, in_channels=channels, **cams)
        self.cam_weight = float(cam_weight)

    # ------------------------------------------------------------------ features
    def levels(self, inputs: Tensor) -> dict[str, Tensor]:
        """``[B, 3, H, W]`` -> ``{'res2', 'res3', 'res4', 'res5'}`` maps (res5 only when the IMG uses it)."""
        feats = dict(zip(BACKBONE_LEVELS, self.backbone(inputs)))
        if "res5" in self.cams.level_names:
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
        for i, sample in enumerate(data_samples):
            boxes = torch.as_tensor(sample["proposals"], dtype=inputs.dtype, device=inputs.device)
            rois = self.detector.roi_features(feats["res4"][i:i + 1], boxes)
            for key, value in self.detector.head_losses(rois, boxes, labels[i]).items():
                losses[key] = losses.get(key, 0.0) + value / len(data_samples)
        logits, _ = self.cams(feats)
        losses["loss_cam"] = self.cam_weight * cam_loss(logits, labels)
        return losses

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def predict_image(self, inputs: Tensor, proposals: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """One image ``[1, 3, H, W]`` and its proposals ``[R, 4]`` -> detector scores ``[R, C]``, boxes (``[R, 4]``,
        ``[R, C, 4]`` class-specific, or the proposals) and the fused CAM ``[C, S, S]`` (logit units)."""
        feats = self.levels(inputs)
        rois = self.detector.roi_features(feats["res4"], proposals.to(inputs.dtype))
        scores, boxes = self.detector.head_predict(rois, proposals.to(inputs.dtype), tuple(inputs.shape[-2:]))
        _, cams = self.cams(feats)
        return scores, boxes, fuse_cams(cams[0], self.fuse)


__all__ = ["BACKBONE_LEVELS", "DCLNetwork", "LEVEL_ORDER"]
