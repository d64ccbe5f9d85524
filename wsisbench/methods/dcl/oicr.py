"""OICR scoring heads and their losses, on pooled RoI features of one image.

The detector of Deep Community Learning (Hwang et al., "Weakly Supervised Instance Segmentation by Deep
Community Learning", WACV 2021, arXiv:2001.11207) is OICR (Tang et al., "Multiple Instance Detection Network
with Online Instance Classifier Refinement", CVPR 2017, arXiv:1704.00138), whose multiple instance detection
network (MIDN) is WSDDN (Bilen & Vedaldi, "Weakly Supervised Deep Detection Networks", CVPR 2016,
arXiv:1511.02853).

Shapes, for one image: R proposals, D feature channels, C object classes (no background), K refinement
streams. Boxes are ``(x1, y1, x2, y2)`` in pixels. Scores are probabilities (no unit).

- :class:`MIDNHead`: proposal scores ``z = softmax_classes(x_cls) * softmax_proposals(x_det)`` ``[R, C]``
  and image scores ``phi = z.sum(0)`` ``[C]``; :func:`midn_loss` is the image-level binary cross-entropy.
- :func:`oicr_pseudo_labels`: instance labels and loss weights for a refinement stream, from the scores of
  the stage before it (seeds = top-scoring proposal of each class present in the image).
- :class:`RefinementHead`: K streams of ``C + 1``-way softmax classifiers (column 0 = background);
  :func:`refinement_loss` is their weighted cross-entropy; :func:`refinement_losses` chains the K streams
  (stream 1 is supervised by the MIDN scores ``z``, stream k by stream k-1 without its background column).
- :func:`oicr_test_scores`: the test rule, the mean of the K refined scores without background.

Everything here works on a single image (OICR trains with one image per iteration); callers loop over a
batch.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
from mmdet.structures.bbox import bbox_overlaps
from torch import Tensor, nn

EPS = 1e-6


class MIDNOutput(NamedTuple):
    """Outputs of :class:`MIDNHead` for one image."""

    proposal_scores: Tensor  # z [R, C], in [0, 1]; each column sums to at most 1
    image_scores: Tensor  # phi = z.sum(0) [C], in [0, 1]; not clamped
    cls_softmax: Tensor  # sigma_cls [R, C]: softmax over classes, each row sums to 1
    det_softmax: Tensor  # sigma_det [R, C]: softmax over proposals, each column sums to 1


class MIDNHead(nn.Module):
    """WSDDN's two-stream head, the MIDN of OICR.

    Two parallel ``nn.Linear(in_channels, num_classes)`` layers give classification scores ``x_c`` and
    detection scores ``x_d`` ``[R, C]``; ``sigma_cls = softmax(x_c, dim=1)`` (over classes),
    ``sigma_det = softmax(x_d, dim=0)`` (over proposals), ``z = sigma_cls * sigma_det`` (Hadamard product)
    and ``phi = z.sum(0)``. ``phi`` lies in [0, 1] because every column of ``sigma_det`` sums to 1 and every
    entry of ``sigma_cls`` is at most 1.

    Args:
        in_channels: D, the length of a pooled RoI feature vector.
        num_classes: C, without background.
    """

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.cls_fc = nn.Linear(in_channels, num_classes)
        self.det_fc = nn.Linear(in_channels, num_classes)

    def forward(self, feats: Tensor) -> MIDNOutput:
        """``feats`` [R, D] (RoI features of one image) -> :class:`MIDNOutput`."""
        if feats.dim() != 2:
            raise ValueError(f"MIDNHead expects RoI features [R, D], got shape {tuple(feats.shape)}")
        sigma_cls = torch.softmax(self.cls_fc(feats), dim=1)
        sigma_det = torch.softmax(self.det_fc(feats), dim=0)
        z = sigma_cls * sigma_det
        return MIDNOutput(z, z.sum(0), sigma_cls, sigma_det)


def midn_loss(image_scores: Tensor, image_labels: Tensor, reduction: str = "sum", eps: float = EPS) -> Tensor:
    """Image-level multi-label binary cross-entropy of the MIDN.

    ``L = -sum_c [y_c log phi_c + (1 - y_c) log(1 - phi_c)]``, with ``phi`` clamped to ``[eps, 1 - eps]``
    (``phi`` is a sum of products of softmaxes, so it can reach 0 or 1 numerically).

    The default ``reduction='sum'`` sums over the C classes, as OICR's MIDN loss equation and WSDDN's
    objective both do. ``'mean'`` divides by C (what some public re-implementations do); it only rescales
    the loss, and with it the effective learning rate of this term.

    Args:
        image_scores: phi [C] (or [B, C]), in [0, 1].
        image_labels: y [C] (or [B, C]), 1 if the class is in the image, else 0.
        reduction: ``'sum'`` or ``'mean'`` over classes (and a mean over images for a [B, C] input).
    Returns:
        A scalar loss.
    """
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    phi = image_scores.clamp(eps, 1.0 - eps)
    y = image_labels.to(phi.dtype)
    per_class = -(y * torch.log(phi) + (1.0 - y) * torch.log(1.0 - phi))
    per_image = per_class.sum(-1) if reduction == "sum" else per_class.mean(-1)
    return per_image.mean()


@torch.no_grad()
def oicr_pseudo_labels(boxes: Tensor, prev_scores: Tensor, image_labels: Tensor,
                       iou_thr: float = 0.5) -> tuple[Tensor, Tensor]:
    """Instance labels and loss weights for one refinement stream (OICR's label propagation).

    For each class c present in the image, the proposal with the highest ``prev_scores[:, c]`` is the seed
    of c, with seed score ``prev_scores[seed, c]``. Each proposal is matched to the seed it overlaps most
    (IoU, mmdet's ``bbox_overlaps``; ties go to the seed of the lowest class index). It takes label
    ``c + 1`` of that seed if the IoU is strictly greater than ``iou_thr`` (the text says "higher than"),
    else 0 (background). Its weight is the score of that highest-IoU seed for every proposal, background
    ones included, as in OICR's label algorithm (a proposal's weight is set from its best-overlap seed before the
    threshold test) and public implementations of it; proposals that overlap no seed fall on the first seed by the tie
    rule. Two classes may pick the same proposal as their seed; the lower class index then wins it.

    Computed without gradient: the labels supervise the next stream and are constants for it.

    Args:
        boxes: [R, 4] proposals, xyxy pixels.
        prev_scores: [R, C] scores of the previous stage, without a background column (the MIDN's ``z``
            for stream 1, stream k-1's softmax without column 0 for stream k).
        image_labels: [C], 1 (or True) for the classes in the image.
        iou_thr: IoU above which a proposal takes its seed's class.
    Returns:
        ``labels`` [R] long in ``0..C`` (0 = background, ``c + 1`` = class c) and ``weights`` [R] float, in
        [0, 1]. An image with no class gets all-background labels and zero weights.
    """
    num_props, num_classes = prev_scores.shape
    if boxes.shape != (num_props, 4):
        raise ValueError(f"boxes {tuple(boxes.shape)} do not match prev_scores {tuple(prev_scores.shape)}")
    if image_labels.numel() != num_classes:
        raise ValueError(f"image_labels has {image_labels.numel()} entries, prev_scores {num_classes} columns")
    labels = torch.zeros(num_props, dtype=torch.long, device=prev_scores.device)
    weights = prev_scores.new_zeros(num_props)
    present = torch.nonzero(image_labels.reshape(-1) > 0).flatten()
    if present.numel() == 0 or num_props == 0:
        return labels, weights
    scores = prev_scores.detach()[:, present]  # [R, G]
    seed_scores, seed_idx = scores.max(dim=0)  # [G]
    seed_boxes = boxes[seed_idx]  # [G, 4]
    ious = bbox_overlaps(boxes.to(prev_scores.dtype), seed_boxes.to(prev_scores.dtype))  # [R, G]
    best_iou, best_seed = ious.max(dim=1)  # first maximum on ties
    weights = seed_scores[best_seed]
    labels = torch.where(best_iou > iou_thr, present[best_seed] + 1, labels)
    return labels, weights


class RefinementHead(nn.Module):
    """OICR's K instance classifier refinement streams.

    Each stream is an ``nn.Linear(in_channels, num_classes + 1)`` followed by a softmax over the ``C + 1``
    classes; column 0 is background, column ``c + 1`` is class c.

    Args:
        in_channels: D, the length of a pooled RoI feature vector.
        num_classes: C, without background.
        num_streams: K (OICR uses 3).
    """

    def __init__(self, in_channels: int, num_classes: int, num_streams: int = 3) -> None:
        super().__init__()
        if num_streams < 1:
            raise ValueError(f"num_streams must be >= 1, got {num_streams}")
        self.streams = nn.ModuleList(nn.Linear(in_channels, num_classes + 1) for _ in range(num_streams))

    def forward(self, feats: Tensor) -> list[Tensor]:
        """``feats`` [R, D] -> K softmax scores ``[R, C + 1]`` (rows sum to 1)."""
        return [torch.softmax(fc(feats), dim=1) for fc in self.streams]


def refinement_loss(scores: Tensor, labels: Tensor, weights: Tensor, eps: float = EPS) -> Tensor:
    """Weighted cross-entropy of one refinement stream.

    ``L = -1/R * sum_r w_r log scores[r, labels[r]]``: normalised by the number of proposals R (all of
    them, background included), as in OICR's refinement loss; the weights are not renormalised.

    Args:
        scores: [R, C + 1] softmax scores of the stream (column 0 = background).
        labels: [R] long in ``0..C``, from :func:`oicr_pseudo_labels`.
        weights: [R] float loss weights.
    Returns:
        A scalar loss (0 for R = 0).
    """
    if scores.shape[0] == 0:
        return scores.sum() * 0.0
    picked = scores.gather(1, labels.long().view(-1, 1)).squeeze(1)
    return -(weights.to(scores.dtype) * torch.log(picked.clamp(min=eps))).mean()


def refinement_losses(boxes: Tensor, midn_scores: Tensor, refined: Sequence[Tensor], image_labels: Tensor,
                      iou_thr: float = 0.5) -> list[Tensor]:
    """The K refinement losses of one image, each stream supervised by the stage before it.

    Stream 1 takes its pseudo labels from the MIDN proposal scores ``z`` [R, C]; stream k from stream
    k-1's scores without the background column. The supervising scores are detached.

    Args:
        boxes: [R, 4] xyxy proposals.
        midn_scores: z [R, C] from :class:`MIDNHead`.
        refined: K tensors [R, C + 1] from :class:`RefinementHead`.
        image_labels: [C] 0/1.
    Returns:
        K scalar losses, stream order.
    """
    losses = []
    prev = midn_scores
    for scores in refined:
        labels, weights = oicr_pseudo_labels(boxes, prev.detach(), image_labels, iou_thr)
        losses.append(refinement_loss(scores, labels, weights))
        prev = scores[:, 1:]
    return losses


def oicr_test_scores(refined: Sequence[Tensor]) -> Tensor:
    """Test-time proposal scores: the mean of the K refined scores without background, [R, C]."""
    if len(refined) == 0:
        raise ValueError("oicr_test_scores needs at least one refinement stream")
    return torch.stack([s[:, 1:] for s in refined], dim=0).mean(0)


__all__ = [
    "MIDNHead", "MIDNOutput", "midn_loss", "oicr_pseudo_labels", "RefinementHead", "refinement_loss",
    "refinement_losses", "oicr_test_scores",
]
