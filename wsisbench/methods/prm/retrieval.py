"""Instance mask retrieval (PRM, Sec. 3.4): pick, for every valid peak, the proposal its PRM supports.

For a peak of class c with PRM R (sums to 1 over the image) and a proposal mask S:

    score(S) = alpha * <R, S> + <R, contour(S)> - beta * <Q_c, S>

- instance-aware: ``<R, S>``, the PRM mass inside the proposal;
- boundary-aware: ``<R, contour(S)>``, the mass on the proposal's contour (morphological gradient with a
  ``contour_width`` square kernel), which favours masks whose border follows the PRM's fine detail;
- class-aware: ``<Q_c, S>``, the area of the proposal on the class's background, ``Q_c = [CRM_c <
  bg_factor * mean(CRM_c)]`` (CRM bilinearly resized to the image), in px. The PRM terms do not depend on
  the image size (R sums to 1) but this one does, so ``beta`` is the weight per px of an image of
  ``beta_reference_side`` squared px (448, the reference implementation's input) and is scaled by
  ``beta_reference_side**2 / (H * W)``: at 128 px the same background share costs what it costs at 448 px.
  ``beta_reference_side=None`` applies ``beta`` per px as given;
- ``<., .>`` is the Frobenius inner product. Proposals smaller or larger than ``size_limits`` (fractions of
  the image area) are skipped. The best proposal per peak becomes an instance; then greedy NMS at mask IoU
  ``nms_iou`` removes duplicates (class-agnostic as in the reference implementation, or per class).
Defaults (alpha 0.8, beta 1e-5, bg_factor 0.95) are the reference implementation's demo values.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: side (px) of the square input at which the reference implementation's ``beta`` applies per px
REFERENCE_SIDE = 448


@dataclass
class Instance:
    """One retrieved instance: its class (0-based), proposal index, retrieval value and ranking score."""

    label: int
    proposal: int
    value: float
    score: float
    peak: int


def contours(proposals: np.ndarray, width: int) -> np.ndarray:
    """bool [N, H, W]: each mask's morphological gradient (dilation minus erosion, ``width`` square kernel)."""
    kernel = np.ones((width, width), np.uint8)
    out = np.zeros(proposals.shape, dtype=bool)
    for i, mask in enumerate(proposals):
        out[i] = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_GRADIENT, kernel).astype(bool)
    return out


def background_masks(crms: np.ndarray, bg_factor: float) -> np.ndarray:
    """bool [K, H, W]: where a class's (image-sized) CRM is below ``bg_factor`` times its mean."""
    mean = crms.reshape(len(crms), -1).mean(axis=1)
    return crms < bg_factor * mean[:, None, None]


def retrieval_values(prms: np.ndarray, labels: np.ndarray, proposals: np.ndarray, crms: np.ndarray,
                     alpha: float = 0.8, beta: float = 1e-5, bg_factor: float = 0.95, contour_width: int = 5,
                     size_limits: tuple[float, float] = (0.0, 1.0),
                     beta_reference_side: int | None = REFERENCE_SIDE) -> np.ndarray:
    """float64 [P, N]: the retrieval value of every (peak, proposal); -inf for proposals outside the limits.

    Args:
        prms: [P, H, W] peak response maps (each sums to 1), image-sized.
        labels: int [P] class of each peak.
        proposals: bool [N, H, W].
        crms: [K, H, W] class response maps resized to the image.
    """
    n = len(proposals)
    if n == 0 or len(prms) == 0:
        return np.full((len(prms), n), -np.inf)
    area = proposals.reshape(n, -1).sum(axis=1)
    image_area = proposals.shape[1] * proposals.shape[2]
    if beta_reference_side:
        beta = beta * beta_reference_side ** 2 / image_area
    ok = (area >= size_limits[0] * image_area) & (area < size_limits[1] * image_area) & (area > 0)
    S = proposals.reshape(n, -1).astype(np.float64)
    C = contours(proposals, contour_width).reshape(n, -1).astype(np.float64)
    R = prms.reshape(len(prms), -1).astype(np.float64)
    Q = background_masks(crms, bg_factor).reshape(len(crms), -1).astype(np.float64)
    values = alpha * R @ S.T + R @ C.T - beta * (Q[np.asarray(labels)] @ S.T)
    values[:, ~ok] = -np.inf
    return values


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def nms(instances: list[Instance], proposals: np.ndarray, iou: float, class_agnostic: bool = True
        ) -> list[Instance]:
    """Greedy NMS by ``score``: an instance is dropped when its mask overlaps a kept one (of its class, unless
    ``class_agnostic``) at IoU >= ``iou``."""
    kept: list[Instance] = []
    for inst in sorted(instances, key=lambda i: -i.score):
        mask = proposals[inst.proposal]
        clash = any((class_agnostic or k.label == inst.label)
                    and (k.proposal == inst.proposal or mask_iou(proposals[k.proposal], mask) >= iou)
                    for k in kept)
        if not clash:
            kept.append(inst)
    return kept


def retrieve(prms: np.ndarray, labels: np.ndarray, scores: np.ndarray, proposals: np.ndarray, crms: np.ndarray,
             cfg) -> list[Instance]:
    """The instances of one image: best proposal per peak, then NMS.

    Args:
        scores: float [P] the ranking score of each peak's instance (``cfg.score``: see the stages).
        cfg: ``alpha, beta, beta_reference_side, bg_factor, contour_width, size_limits, nms_iou,
            nms_class_agnostic``.
    """
    values = retrieval_values(prms, labels, proposals, crms, alpha=cfg.get("alpha", 0.8), beta=cfg.get("beta", 1e-5),
                              bg_factor=cfg.get("bg_factor", 0.95), contour_width=int(cfg.get("contour_width", 5)),
                              size_limits=tuple(cfg.get("size_limits", (0.0, 1.0))),
                              beta_reference_side=cfg.get("beta_reference_side", REFERENCE_SIDE))
    out = []
    for p in range(len(prms)):
        if values.shape[1] == 0 or not np.isfinite(values[p]).any():
            continue
        j = int(np.argmax(values[p]))
        out.append(Instance(int(labels[p]), j, float(values[p, j]), float(scores[p]), p))
    iou = cfg.get("nms_iou", 0.3)
    return nms(out, proposals, float(iou), bool(cfg.get("nms_class_agnostic", True))) if iou is not None else out
