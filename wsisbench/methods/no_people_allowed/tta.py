"""Test-time augmentation of NoPeopleAllowed's segmentation step (Sec. 3.4).

"The final prediction is made by averaging the predictions after horizontal flip and scale (factors: 0.5, 1,
and 2)." For each scale ``s`` the image [B, 3, H, W] is resized (bilinear) to ``round(s H) x round(s W)``;
the model's output [B, K, h, w] at that input is resized (bilinear) back to ``H x W``; with ``flip`` the same
is done on the horizontally flipped image and the output is flipped back. The mean is over the
``len(scales) x (1 + flip)`` outputs:

- ``mode='softmax'`` (default): the mean of the class probabilities, softmax over K of each output after its
  resize back (probabilities of different scales are on one scale, logits need not be); returns
  probabilities.
- ``mode='logits'``: the mean of the logits; returns logits.

``align_corners=True`` (the default, as the DeepLab reference implementation resizes) maps corner pixels onto
corner pixels, so bilinear resizing reproduces maps that are affine in the pixel coordinates exactly: TTA of
an identity model then returns such an input unchanged. (Detail finer than the 0.5 scale's grid is lost at
that scale by construction.)
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from wsisbench.errors import WsisbenchError

MODES = ("softmax", "logits")
DEFAULT_SCALES = (0.5, 1.0, 2.0)


def _resize(x: torch.Tensor, size: tuple[int, int], align_corners: bool) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=align_corners)


@torch.no_grad()
def tta_predict(model: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor,
                scales: Sequence[float] = DEFAULT_SCALES, flip: bool = True, mode: str = "softmax",
                align_corners: bool = True) -> torch.Tensor:
    """Mean prediction over scales x horizontal flip.

    Args:
        model: ``f(x [B, 3, h_in, w_in]) -> [B, K, h, w]`` logits (any output resolution).
        images: [B, 3, H, W] normalised images.
        scales: resize factors of the input (the paper's 0.5, 1, 2).
        flip: also run on the horizontally flipped images.
        mode: ``'softmax'`` (mean of probabilities) or ``'logits'`` (mean of logits).
    Returns:
        [B, K, H, W] mean probabilities (``softmax``) or mean logits (``logits``).
    """
    if mode not in MODES:
        raise WsisbenchError(f"TTA mode must be one of {MODES}, got {mode!r}")
    if not scales or any(s <= 0 for s in scales):
        raise WsisbenchError(f"TTA scales must be a non-empty list of positive factors, got {list(scales)}")
    if images.dim() != 4:
        raise WsisbenchError(f"TTA expects images [B, 3, H, W], got {list(images.shape)}")
    size = (int(images.shape[-2]), int(images.shape[-1]))
    total = None
    count = 0
    for scale in scales:
        scaled_size = (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
        scaled = _resize(images, scaled_size, align_corners)
        for flipped in ((False, True) if flip else (False,)):
            x = scaled.flip(-1) if flipped else scaled
            out = model(x)
            if out.dim() != 4 or out.shape[0] != images.shape[0]:
                raise WsisbenchError(f"the TTA model must return [B, K, h, w] with B={images.shape[0]}, "
                                     f"got {list(out.shape)} at scale {scale}")
            out = _resize(out.float(), size, align_corners)
            if flipped:
                out = out.flip(-1)
            if mode == "softmax":
                out = out.softmax(dim=1)
            total = out if total is None else total + out
            count += 1
    return total / count
