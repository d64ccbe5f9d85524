"""FickleNet localization maps from N stochastic passes (Sec. 3.2, Algorithm 1 lines 8-11).

The backbone runs once; its conv5 map x [C, H, W] is copied for ``chunk`` passes at a time, each copy
gets its own dropout mask inside the head, and one backward per present class gives every pass's
Grad-CAM. Each pass's map is normalised by its maximum (to [0, 1]); what is kept over the N passes is,
per class and pixel, the mean and the maximum of the normalised maps. ``peak > threshold`` is then
"the class exceeds the threshold in some pass" (the union of the N thresholded maps) and ``mean`` is the
score that decides between classes (see :mod:`.aggregation`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .grad_cam import class_grad_cams


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
    total = x.new_zeros(len(classes), *size)
    peak = x.new_zeros(len(classes), *size)
    done = 0
    with torch.enable_grad():
        while done < to_compute and classes:
            n = min(chunk, to_compute - done)
            xs = x.expand(n, -1, -1, -1).clone().requires_grad_(True)
            logits = head(xs, selection=sel, generator=generator)
            cams = class_grad_cams(xs, logits, classes, cam_mode)  # [n, Kp, H, W]
            if out_size is not None:
                cams = F.interpolate(cams, size=size, mode="bilinear", align_corners=False)
            cams = normalize_maps(cams)
            total += cams.sum(dim=0)
            peak = torch.maximum(peak, cams.amax(dim=0))
            done += n
    return FickleMaps(mean=total / to_compute, peak=peak, classes=classes, num_passes=num_passes)
