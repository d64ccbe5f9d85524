"""The instance segmentation (IS) module of Deep Community Learning: a per-cell classifier on the upsampled
res5 map, trained on pseudo masks from the detector and the IMG module, and masks for detected boxes.

Hwang et al., "Weakly Supervised Instance Segmentation by Deep Community Learning", WACV 2021,
arXiv:2001.11207, say of it only: "The output of the last residual block is shared with IMG and segmentation
modules through upsampling ... For instance segmentation, the upsampled output of res5 is used." Its
supervision, in their main text, is the pseudo masks that the detector and the IMG module produce; the
layers, the loss and the test-time use are not given.

Shapes: B images, C object classes (no background), D the channels of res5, S the side of the IMG grid, G the
pseudo ground-truth boxes of one image. Boxes are ``(x1, y1, x2, y2)`` in input-image pixels; CAM values have
the unit of logits; the IS output is logits over ``C + 1`` classes (channel 0 = background, channel ``c + 1``
= class c), probabilities after its softmax.

Readings of the text (it leaves these open; each is our choice):

- **Head.** res5 ``[B, D, h, w]`` is upsampled bilinearly (``align_corners=False``) to the IMG module's
  S x S grid, the same upsampling as the res5 CAM level, then two 3 x 3 mmcv ``ConvModule`` (ReLU, optional
  norm, e.g. group norm as the text's backbone) and a 1 x 1 conv to ``C + 1`` logits ``[B, C + 1, S, S]``.
  The width (``channels``) is ours.
- **Pseudo masks** (:func:`is_targets`). The detector gives the boxes: the pseudo ground truth its box
  regressor is trained towards (for each class in the image, the top-scoring proposal under the scores that
  supervise the last refinement stream, :meth:`~wsisbench.methods.dcl.detector.OICRDetector.pseudo_ground_truth`).
  The IMG module gives the shape inside each box: the fused CAM (the first ``cam_levels`` trained levels,
  detached) of the box's class, cut to the box on the grid, clamped at 0 and divided by its maximum there;
  cells ``>= threshold`` (0.2, CAM's rule, the one :func:`~wsisbench.methods.dcl.cam_levels.box_masks`
  applies at test time) are the class, the rest of the box is ignored (neither object nor background is
  known there), and every cell outside all boxes is background. Where boxes overlap, the higher-scoring box
  decides; a box whose CAM is nowhere positive is ignored whole. Boxes cover grid cells as
  :func:`~wsisbench.methods.dcl.cam_levels.box_pixel_range` covers pixels, after scaling by ``S / H`` and
  ``S / W``.
- **Loss.** Cross-entropy over the ``C + 1`` classes, the mean over the batch's cells that are not ignored,
  times ``weight``, added to the detector's and the IMG module's losses. The targets are constants: no
  gradient reaches the detector or the CAMs through them.
- **Masks at test time** (:func:`segmentation_masks`). The IS probabilities (averaged over the test views like
  the CAM, brought to the image bilinearly) of the detection's class, ``>= 0.5`` inside its box.
"""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor, nn

from .cam_levels import box_pixel_range

#: Label of the cells the IS loss skips.
IGNORE_INDEX = 255
#: IS probability at or above which a pixel inside a detection's box joins its mask.
MASK_PROBABILITY = 0.5


class ISHead(nn.Module):
    """The IS module: res5 ``[B, D, h, w]`` -> bilinear upsampling to ``[B, D, S, S]`` -> two 3 x 3
    ``ConvModule`` (``channels``, ReLU, ``norm_cfg``) -> 1 x 1 conv -> logits ``[B, C + 1, S, S]`` (channel 0 =
    background).

    Args:
        in_channels: D, the channels of res5.
        num_classes: C, without background.
        grid_size: S, the IMG module's grid side.
        channels: width of the two 3 x 3 convs.
        norm_cfg: their norm config (``None``: convs with bias, no norm).
    """

    def __init__(self, in_channels: int, num_classes: int, grid_size: int, channels: int = 256,
                 norm_cfg: Mapping | None = None) -> None:
        super().__init__()
        self.num_classes = int(num_classes)
        self.grid_size = int(grid_size)
        norm_cfg = dict(norm_cfg) if norm_cfg is not None else None
        self.conv1 = ConvModule(in_channels, channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=dict(type="ReLU"))
        self.conv2 = ConvModule(channels, channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=dict(type="ReLU"))
        self.classifier = nn.Conv2d(channels, self.num_classes + 1, 1)

    def forward(self, res5: Tensor) -> Tensor:
        """res5 ``[B, D, h, w]`` -> logits ``[B, C + 1, S, S]``."""
        x = F.interpolate(res5, size=(self.grid_size, self.grid_size), mode="bilinear", align_corners=False)
        return self.classifier(self.conv2(self.conv1(x)))


def _grid_boxes(boxes: Tensor, image_size: tuple[int, int], grid_size: int) -> Tensor:
    """Boxes ``[G, 4]`` in pixels of an ``(H, W)`` image -> the grid cells they cover, ``[G, 4]`` long
    ``(c0, r0, c1, r1)`` half-open (:func:`box_pixel_range` on the boxes scaled by ``S / W`` and ``S / H``)."""
    h, w = image_size
    scale = boxes.new_tensor([grid_size / w, grid_size / h, grid_size / w, grid_size / h])
    return box_pixel_range(boxes.float() * scale.float(), (grid_size, grid_size))


@torch.no_grad()
def is_targets(cam: Tensor, boxes: Tensor, labels: Tensor, scores: Tensor, image_size: tuple[int, int],
               threshold: float = 0.2, ignore_index: int = IGNORE_INDEX) -> Tensor:
    """Pseudo mask of one image on the IMG grid, from the detector's pseudo ground truth and the fused CAM.

    Every cell is background (0) unless a box covers it. Boxes are written in increasing score order, so the
    highest-scoring box decides where boxes overlap; inside box g of class ``labels[g]`` a cell gets
    ``labels[g] + 1`` where that class's CAM, clamped at 0, is ``>= threshold`` times its maximum inside the
    box (and positive), and ``ignore_index`` elsewhere (the whole box when the CAM is nowhere positive there).

    Args:
        cam: fused CAM ``[C, S, S]`` (logit units).
        boxes: ``[G, 4]`` ``(x1, y1, x2, y2)`` in pixels of the input image.
        labels: ``[G]`` class indices in ``0..C-1``.
        scores: ``[G]`` the boxes' scores (any unit; only their order is used).
        image_size: ``(H, W)`` of the input image the boxes live in.
        threshold: fraction of the in-box CAM maximum (0.2, CAM's rule).
        ignore_index: label of the cells the loss skips.
    Returns:
        Long targets ``[S, S]`` in ``{0, ..., C} U {ignore_index}``.
    """
    if cam.dim() != 3 or cam.shape[1] != cam.shape[2]:
        raise ValueError(f"is_targets expects a fused CAM [C, S, S], got shape {tuple(cam.shape)}")
    grid = cam.shape[-1]
    targets = torch.zeros((grid, grid), dtype=torch.long, device=cam.device)
    if boxes.shape[0] == 0:
        return targets
    labels = labels.long()
    order = torch.sort(scores.detach().float(), stable=True).indices.tolist()   # lowest first, highest last
    cells = _grid_boxes(boxes, image_size, grid).tolist()
    for g in order:
        x0, y0, x1, y1 = cells[g]
        label = int(labels[g])
        region = cam[label, y0:y1, x0:x1].detach().clamp(min=0)
        peak = region.max()
        keep = (region / peak >= threshold) & (region > 0) if peak > 0 else torch.zeros_like(region, dtype=torch.bool)
        targets[y0:y1, x0:x1] = torch.where(keep, torch.full_like(targets[y0:y1, x0:x1], label + 1),
                                            torch.full_like(targets[y0:y1, x0:x1], ignore_index))
    return targets


def is_loss(logits: Tensor, targets: Tensor, weight: float = 1.0, ignore_index: int = IGNORE_INDEX) -> Tensor:
    """``weight`` times the cross-entropy of logits ``[B, C + 1, S, S]`` against targets ``[B, S, S]``, the
    mean over the cells that are not ``ignore_index`` (0 when every cell is ignored). Returns a scalar."""
    if bool((targets == ignore_index).all()):
        return logits.sum() * 0.0
    return weight * F.cross_entropy(logits, targets, ignore_index=ignore_index)


def segmentation_masks(probs: Tensor, boxes: Tensor, labels: Tensor, image_size: tuple[int, int],
                       threshold: float = MASK_PROBABILITY) -> Tensor:
    """Instance masks of detections from the IS probabilities.

    For detection i of class ``labels[i]``: the pixels of its box (:func:`box_pixel_range`) where that class's
    probability ``probs[labels[i] + 1]`` is ``>= threshold``; False outside the box.

    Args:
        probs: IS softmax ``[C + 1, H, W]`` at the image's size (channel 0 = background).
        boxes: ``[N, 4]`` ``(x1, y1, x2, y2)`` in image pixels.
        labels: ``[N]`` long class indices in ``0..C-1``.
        image_size: ``(H, W)``.
        threshold: probability at or above which a pixel joins the mask (0.5).
    Returns:
        Bool masks ``[N, H, W]``.
    """
    h, w = image_size
    if tuple(probs.shape[-2:]) != (h, w):
        raise ValueError(f"segmentation_masks expects probabilities at the image size {(h, w)}, "
                         f"got {tuple(probs.shape)}")
    masks = torch.zeros((boxes.shape[0], h, w), dtype=torch.bool, device=probs.device)
    for i, (x0, y0, x1, y1) in enumerate(box_pixel_range(boxes, image_size).tolist()):
        masks[i, y0:y1, x0:x1] = probs[int(labels[i]) + 1, y0:y1, x0:x1] >= threshold
    return masks


__all__ = ["IGNORE_INDEX", "MASK_PROBABILITY", "ISHead", "is_targets", "is_loss", "segmentation_masks"]
