"""FickleNet localization maps from N stochastic passes (Sec. 3.2, Algorithm 1 lines 8-11) and their aggregation.

Grad-CAM as the paper's eq. (1) defines it: ``M^c = ReLU(sum_k x_k * dS^c / dx_k)``, with ``x`` the map the
head takes (conv5, before expansion), ``S^c`` the pre-sigmoid image score of class c and an element-wise
product summed over channels (``mode="channel_mean"``: the original Grad-CAM, gradients averaged over
positions first).

The backbone runs once; its conv5 map x [C, H, W] is copied for ``chunk`` passes at a time, each copy gets
its own dropout mask in the head, and one backward per present class gives every pass's Grad-CAM. Each
pass's map is normalised by its maximum (to [0, 1]); kept over the N passes are, per class and pixel, the
mean and the maximum of the normalised maps (:class:`FickleMaps`).

Aggregation into a pseudo-label map (Sec. 3.2.2, :func:`aggregate_maps`): a pixel takes class c when c's
normalised map exceeds ``threshold`` (0.35 in the paper) in some pass (``peak > threshold``, the union of the
N thresholded maps; ``aggregation='mean'`` thresholds the mean map instead); when several classes do, the
highest mean wins; pixels of no class are left out
(``ignore_index``, 255). The paper gives no background rule, so the caller names one: ``bg_threshold`` (a
pixel of no class whose mean score is below it for every present class is background; 0 turns it off)
and/or ``saliency`` [H, W] in [0, 1] with ``saliency_threshold`` (the saliency cue DSRG takes its background
seeds from); with both, both must hold. Foreground always wins over background. Labels: background 0,
class c (0-based head index) -> c + 1.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

CAM_MODES = ("elementwise", "channel_mean")


def grad_cam(features: torch.Tensor, grads: torch.Tensor, mode: str = "elementwise") -> torch.Tensor:
    """features x [N, C, H, W], grads dS^c/dx [N, C, H, W] -> maps [N, H, W] (>= 0)."""
    if features.shape != grads.shape:
        raise ValueError(f"features {tuple(features.shape)} and grads {tuple(grads.shape)} differ in shape")
    if mode == "elementwise":
        cam = (features * grads).sum(dim=1)
    elif mode == "channel_mean":
        cam = (features * grads.mean(dim=(2, 3), keepdim=True)).sum(dim=1)
    else:
        raise ValueError(f"unknown Grad-CAM mode {mode!r}; valid: {', '.join(CAM_MODES)}")
    return torch.relu(cam)


def class_grad_cams(features: torch.Tensor, logits: torch.Tensor, classes: Sequence[int],
                    mode: str = "elementwise", retain_graph: bool = False) -> torch.Tensor:
    """Grad-CAM of each class in ``classes`` for every row: -> [N, len(classes), H, W].

    ``features`` [N, C, H, W] must require grad and ``logits`` [N, K] be computed from it with row n
    depending only on ``features[n]`` (independent samples or stochastic passes), so the gradient of
    ``logits[:, c].sum()`` gives every row's own dS^c/dx in one backward per class.
    """
    maps = []
    for i, c in enumerate(classes):
        keep = retain_graph or i < len(classes) - 1
        (grads,) = torch.autograd.grad(logits[:, int(c)].sum(), features, retain_graph=keep)
        maps.append(grad_cam(features.detach(), grads, mode))
    if not maps:
        n, _, h, w = features.shape
        return features.new_zeros(n, 0, h, w)
    return torch.stack(maps, dim=1)


@dataclass
class FickleMaps:
    """Statistics of the normalised Grad-CAMs over ``num_passes`` stochastic passes.

    mean, peak: [len(classes), H, W] in [0, 1]; classes: foreground class indices (0-based, head order).
    """

    mean: torch.Tensor
    peak: torch.Tensor
    classes: list[int]
    num_passes: int


def normalize_maps(maps: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Divide each map [..., H, W] by its own maximum; all-zero maps stay zero."""
    peak = maps.flatten(-2).amax(dim=-1)[..., None, None]
    return torch.where(peak > eps, maps / peak.clamp_min(eps), torch.zeros_like(maps))


class PassAccumulator:
    """Running sum and maximum of the normalised maps of stochastic passes (both [K, H, W], float).

    ``add(cams)`` takes a chunk of raw maps [n, K, h, w]: each is upsampled to ``size`` (bilinear, when
    ``size`` differs) and divided by its own maximum before it counts; ``maps(classes, num_passes)`` gives the
    :class:`FickleMaps` so far.
    """

    def __init__(self, like: torch.Tensor, num_classes: int, size: tuple[int, int]):
        self.size = tuple(size)
        self.total = like.new_zeros(num_classes, *self.size)
        self.peak = like.new_zeros(num_classes, *self.size)
        self.count = 0

    def add(self, cams: torch.Tensor) -> None:
        if tuple(cams.shape[-2:]) != self.size:
            cams = F.interpolate(cams, size=self.size, mode="bilinear", align_corners=False)
        cams = normalize_maps(cams)
        self.total += cams.sum(dim=0)
        self.peak = torch.maximum(self.peak, cams.amax(dim=0))
        self.count += len(cams)

    def maps(self, classes: list[int], num_passes: int | None = None) -> FickleMaps:
        """Mean over the passes added so far; ``num_passes`` (default: that count) is what the maps report."""
        return FickleMaps(mean=self.total / self.count, peak=self.peak.clone(), classes=classes,
                          num_passes=self.count if num_passes is None else num_passes)


def fickle_localization_maps(features: torch.Tensor, head: torch.nn.Module, classes: Sequence[int],
                             num_passes: int = 200, chunk: int = 25,
                             out_size: tuple[int, int] | None = None, selection: str | None = None,
                             generator: torch.Generator | None = None,
                             cam_mode: str = "elementwise") -> FickleMaps:
    """N-pass FickleNet localization for one image.

    Args:
        features: backbone conv5 map x [C, H, W] or [1, C, H, W] (computed once; detached here).
        head: a :class:`FickleNetHead` (or the naive variant) mapping [n, C, H, W] -> logits [n, K].
        classes: foreground classes present in the image (0-based indices into the head's K).
        num_passes: N random hidden-unit selections (200 in the paper).
        chunk: passes evaluated together (bounds memory: about ``chunk * k^2`` copies of x).
        out_size: (H_out, W_out) to upsample each pass's map to (bilinear) before normalising; None keeps
            the feature resolution.
        selection: the head's selection to use; default ``head.infer_selection``. With the deterministic
            selection (or p = 0) all passes are equal and only one is computed.
    Returns:
        :class:`FickleMaps` with mean and peak [len(classes), H_out, W_out].
    """
    if num_passes < 1 or chunk < 1:
        raise ValueError(f"num_passes and chunk must be >= 1, got {num_passes}, {chunk}")
    x = features.detach()
    if x.dim() == 3:
        x = x[None]
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError(f"features must be [C, H, W] or [1, C, H, W], got {tuple(features.shape)}")
    classes = [int(c) for c in classes]
    sel = selection or getattr(head, "infer_selection", None)
    deterministic = sel == "deterministic" or getattr(head, "dropout_p", None) == 0.0
    to_compute = 1 if deterministic else num_passes  # identical passes: one is enough
    size = tuple(out_size) if out_size is not None else tuple(x.shape[-2:])
    acc = PassAccumulator(x, len(classes), size)
    if not classes:
        return FickleMaps(mean=acc.total, peak=acc.peak, classes=classes, num_passes=num_passes)
    with torch.enable_grad():
        while acc.count < to_compute:
            n = min(chunk, to_compute - acc.count)
            xs = x.expand(n, -1, -1, -1).clone().requires_grad_(True)
            logits = head(xs, selection=sel, generator=generator)
            acc.add(class_grad_cams(xs, logits, classes, cam_mode))  # [n, Kp, H, W]
    return acc.maps(classes, num_passes)


#: how the N maps decide a class: it exceeds the threshold in some pass ('union', the default), or its mean map
#: does ('mean'); the paper's text allows both readings
AGGREGATIONS = ("union", "mean")


def aggregate_maps(mean: torch.Tensor, peak: torch.Tensor, classes: Sequence[int], *,
                   threshold: float = 0.35, bg_threshold: float | None = None,
                   saliency: torch.Tensor | None = None, saliency_threshold: float | None = None,
                   ignore_index: int = 255, aggregation: str = "union") -> torch.Tensor:
    """mean, peak [Kp, H, W] (normalised maps, Kp = len(classes)) -> label map [H, W] int64.

    ``aggregation='union'``: class c covers a pixel where ``peak > threshold``; ``'mean'``: where
    ``mean > threshold``. Either way the highest mean wins between classes.
    """
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {aggregation!r}; valid: {', '.join(AGGREGATIONS)}")
    if mean.shape != peak.shape or mean.dim() != 3 or mean.shape[0] != len(classes):
        raise ValueError(f"mean {tuple(mean.shape)} and peak {tuple(peak.shape)} must both be "
                         f"[{len(classes)}, H, W] for classes {list(classes)}")
    if bg_threshold is None and saliency is None:
        raise ValueError("no background rule: pass bg_threshold (score rule) or saliency with "
                         "saliency_threshold (the FickleNet seed states no background rule)")
    if (saliency is None) != (saliency_threshold is None):
        raise ValueError("saliency and saliency_threshold must be given together")
    h, w = mean.shape[-2:]
    labels = torch.full((h, w), ignore_index, dtype=torch.long, device=mean.device)

    background = torch.ones(h, w, dtype=torch.bool, device=mean.device)
    if bg_threshold is not None:
        top_mean = mean.amax(dim=0) if len(classes) else mean.new_zeros(h, w)
        background &= top_mean < bg_threshold
    if saliency is not None:
        if saliency.shape != (h, w):
            raise ValueError(f"saliency {tuple(saliency.shape)} does not match the maps' size {(h, w)}")
        background &= saliency.to(mean.device) < saliency_threshold
    labels[background] = 0

    if len(classes):
        hit = (peak if aggregation == "union" else mean) > threshold  # [Kp, H, W]
        score = torch.where(hit, mean, torch.full_like(mean, -1.0))
        best = score.argmax(dim=0)
        fg = hit.any(dim=0)
        class_labels = torch.as_tensor([int(c) + 1 for c in classes], device=mean.device)
        labels[fg] = class_labels[best[fg]]
    return labels
