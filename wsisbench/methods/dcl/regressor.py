"""The bounding-box regressor of Deep Community Learning and its targets.

Hwang et al., "Weakly Supervised Instance Segmentation by Deep Community Learning", WACV 2021,
arXiv:2001.11207: fully connected layers after res5 (2048 channels) predict a 4-d offset shared by all
classes (class-agnostic, the paper's choice) instead of the usual 4C (class-specific). Each proposal p is
trained towards its nearest pseudo ground-truth box g (the text's Eq. (4)):

    t_x = (g_x - p_x) / p_w,   t_y = (g_y - p_y) / p_h,   t_w = log(g_w / p_w),   t_h = log(g_h / p_h).

Box convention: ``(x1, y1, x2, y2)`` in pixels; centre ``x = (x1 + x2) / 2``, width ``w = x2 - x1`` (no
``+ 1``), the convention of mmdet 3's ``DeltaXYWHBBoxCoder`` used here with means 0 and stds 1, so its
deltas are exactly Eq. (4) without normalisation. (The Fast R-CNN-era code used ``w = x2 - x1 + 1``; the
text does not fix one; with continuous coordinates ``x2 - x1`` is the width.)

Which proposals count as foreground for the regression loss, and which boxes are the pseudo ground truth,
is decided by the caller (e.g. the detector's seeds); this module only gives the head, the targets, the
decoding and the loss.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmdet.models.task_modules.coders import DeltaXYWHBBoxCoder
from mmdet.structures.bbox import bbox_overlaps
from torch import Tensor, nn

MODES = ("agnostic", "specific", "none")

# Eq. (4) exactly: no target normalisation, no clipping of decoded boxes to an image unless asked.
_CODER = DeltaXYWHBBoxCoder(target_means=(0.0, 0.0, 0.0, 0.0), target_stds=(1.0, 1.0, 1.0, 1.0))


class BoxRegressor(nn.Module):
    """Two FC + ReLU layers on pooled res5 RoI features, then a linear layer to the box offsets.

    Input ``[R, D]`` or ``[R, D, h, w]`` (flattened to ``[R, D*h*w]``; ``in_channels`` is the flattened
    length, e.g. 2048 after global average pooling of res5). Output ``[R, 4]`` (``'agnostic'``, one offset
    shared by all classes) or ``[R, 4 * num_classes]`` (``'specific'``, columns ``4c .. 4c + 3`` for class c).
    Mode ``'none'`` (no regressor) is not a module: callers skip the regressor and keep the proposals as they
    are, so constructing one with it raises ``ValueError``.

    The text says "two fully connected layers after res5" with a 4-d output; we read it as two hidden FC
    layers plus the output layer. ``hidden_channels`` (1024) is our choice, the text gives no width. The
    output layer starts at N(0, 0.001^2) weights and zero bias (the Fast R-CNN initialisation, our choice),
    so the regressor starts close to the identity on boxes.

    Args:
        in_channels: flattened RoI feature length.
        num_classes: C, without background; used by ``'specific'``.
        mode: ``'agnostic'`` or ``'specific'``.
        hidden_channels: width of the two hidden FC layers.
    """

    def __init__(self, in_channels: int, num_classes: int, mode: str = "agnostic",
                 hidden_channels: int = 1024) -> None:
        super().__init__()
        if mode == "none":
            raise ValueError("mode 'none' means no regressor: skip BoxRegressor and keep the proposals")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self.num_classes = num_classes
        out = 4 if mode == "agnostic" else 4 * num_classes
        self.fc1 = nn.Linear(in_channels, hidden_channels)
        self.fc2 = nn.Linear(hidden_channels, hidden_channels)
        self.out = nn.Linear(hidden_channels, out)
        nn.init.normal_(self.out.weight, std=0.001)
        nn.init.zeros_(self.out.bias)

    def forward(self, feats: Tensor) -> Tensor:
        """``feats`` [R, D] or [R, D, h, w] -> offsets [R, 4] or [R, 4C] (Eq. (4) units)."""
        x = feats.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.out(x)


def nearest_pseudo_gt(proposals: Tensor, pseudo_gt: Tensor) -> Tensor:
    """Index [R] (long) of the pseudo ground-truth box with the highest IoU with each proposal.

    IoU from mmdet's ``bbox_overlaps``; ties (including proposals that overlap no box) go to the lowest
    index. Needs at least one pseudo ground-truth box.
    """
    if pseudo_gt.shape[0] == 0:
        raise ValueError("nearest_pseudo_gt needs at least one pseudo ground-truth box")
    ious = bbox_overlaps(proposals.float(), pseudo_gt.float())  # [R, G]
    return ious.argmax(dim=1)


def regression_targets(proposals: Tensor, pseudo_gt: Tensor) -> Tensor:
    """Eq. (4) offsets ``[tx, ty, tw, th]`` [R, 4] from each proposal [R, 4] to its nearest pseudo
    ground-truth box (of ``pseudo_gt`` [G, 4]); float32, unitless (tx, ty in proposal widths/heights,
    tw, th in log-ratios)."""
    if proposals.shape[0] == 0:
        return proposals.new_zeros((0, 4), dtype=torch.float32)
    matched = pseudo_gt[nearest_pseudo_gt(proposals, pseudo_gt)]
    return _CODER.encode(proposals, matched)


def apply_deltas(proposals: Tensor, deltas: Tensor, max_shape: tuple[int, int] | None = None) -> Tensor:
    """Move proposals [R, 4] by Eq. (4) offsets: deltas [R, 4] -> boxes [R, 4], or [R, 4C] -> [R, 4C].

    The inverse of :func:`regression_targets`. As in mmdet, ``|tw|, |th|`` are clamped to
    ``log(1000 / 16)`` (about 4.14, a 62.5x size change) to avoid overflow; ``max_shape`` (H, W) clips the
    boxes to an image when given.
    """
    return _CODER.decode(proposals, deltas, max_shape=max_shape)


def select_class_deltas(deltas: Tensor, labels: Tensor) -> Tensor:
    """Class-specific offsets [R, 4C] -> the 4 columns of each proposal's class [R, 4].

    ``labels`` [R] long in ``0..C`` with 0 = background (as from the OICR pseudo labels); background rows get
    the columns of class 0 (callers give them zero weight).
    """
    cls = (labels.long() - 1).clamp(min=0)
    idx = cls.view(-1, 1) * 4 + torch.arange(4, device=deltas.device).view(1, 4)
    return deltas.gather(1, idx)


def regression_loss(pred: Tensor, targets: Tensor, weights: Tensor, labels: Tensor | None = None,
                    beta: float = 1.0, avg_factor: float | None = None) -> Tensor:
    """Smooth-L1 loss on foreground proposals only.

    ``L = sum_r w_r * sum_j smoothL1_beta(pred_rj - t_rj) / N``; proposals with ``w_r = 0`` (background or
    ignored) contribute nothing. ``N`` is ``avg_factor`` if given, else the number of proposals with
    ``w_r > 0`` (at least 1) - our normalisation; the text does not give one. ``beta = 1`` is Fast R-CNN's
    smooth L1.

    Args:
        pred: [R, 4] (agnostic) or [R, 4C] (specific, then ``labels`` picks the columns).
        targets: [R, 4] from :func:`regression_targets`.
        weights: [R] float, > 0 for the foreground proposals to regress.
        labels: [R] long in ``0..C``, only for class-specific ``pred``.
    Returns:
        A scalar loss.
    """
    if pred.shape[1] != 4:
        if labels is None:
            raise ValueError(f"class-specific offsets {tuple(pred.shape)} need labels to pick the columns")
        pred = select_class_deltas(pred, labels)
    w = weights.to(pred.dtype)
    fg = w > 0
    if avg_factor is None:
        avg_factor = max(int(fg.sum()), 1)
    if not fg.any():
        return pred.sum() * 0.0
    per_coord = F.smooth_l1_loss(pred[fg], targets[fg].to(pred.dtype), reduction="none", beta=beta)
    return (per_coord.sum(1) * w[fg]).sum() / avg_factor


__all__ = [
    "BoxRegressor", "nearest_pseudo_gt", "regression_targets", "apply_deltas", "select_class_deltas",
    "regression_loss",
]
