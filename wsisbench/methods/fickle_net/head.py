"""FickleNet's stochastic classifier head (Sec. 3.1): map expansion, centre-fixed dropout, one strided conv.

Input is a backbone's conv5 feature map x [B, C, H, W]; output logits [B, K] (GAP of per-position class
scores [B, K, H, W]; the sigmoid is in the loss). One ``k x k`` weight [K, C, k, k] serves the three
hidden-unit selections of Table 7:

- ``"stochastic"`` (S): expand x to [B, C, kH, kW] (every sliding-window position copied out as its own
  ``k x k`` block, Sec. 3.1.1), centre-fixed spatial dropout on the blocks (Sec. 3.1.2), then ONE conv with
  kernel k and stride k instead of H * W window convolutions;
- ``"general"`` (G): ordinary dropout on x (per element, or per channel with ``general_mode="channel"``),
  then the ``k x k`` conv (padding k // 2);
- ``"deterministic"`` (D): the ``k x k`` conv on x without dropout.

Centre-fixed dropout draws one Bernoulli per (sample, channel, position in the window, window position):
every window selects its own random subset of the hidden units of its ``C x k x k`` window, and the kernel
centre is never dropped. With ``rescale=True`` kept non-centre units are multiplied by ``1 / (1 - p)`` (the
centre by exactly 1), so ``E[mask * x_expand] == x_expand``; ``p = 0`` is the deterministic network. It is
active at training AND at inference.

:class:`NaiveFickleNetHead` is Table 4's "naive" baseline: one window convolution per position, taking the
same mask, so both heads give identical outputs and gradients for one mask; only speed and memory differ.
``train_selection`` is used in train mode and ``infer_selection`` in eval mode (default S for both). The
paper does not state ``kernel_size`` (its Fig. 3 only shows a 7 x 7 kernel); presets set it.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from wsisbench.registry import MODELS


def check_kernel_size(kernel_size: int) -> int:
    """Return ``kernel_size`` if it is a positive odd int (a window needs a centre), else raise ValueError."""
    if int(kernel_size) != kernel_size or kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"FickleNet kernel_size must be a positive odd integer, got {kernel_size!r}")
    return int(kernel_size)


def pad_for_windows(x: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Zero-pad ``x`` [B, C, H, W] by ``k // 2`` on each side -> [B, C, H + k - 1, W + k - 1].

    With this padding every one of the ``H * W`` positions has a full ``k x k`` window centred on it.
    """
    r = check_kernel_size(kernel_size) // 2
    return F.pad(x, (r, r, r, r)) if r else x


def expand_feature_map(x: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Lay out every position's ``k x k`` window as a block: x [B, C, H, W] -> x_expand [B, C, k*H, k*W].

    ``x_expand[b, c, i*k + u, j*k + v] == x_pad[b, c, i + u, j + v]`` where ``x_pad`` is
    :func:`pad_for_windows` of ``x``; i.e. block ``(i, j)`` is the window centred on position ``(i, j)``
    and its centre is ``x[b, c, i, j]``. Differentiable (one copy; the backward is the overlap-add).
    """
    k = check_kernel_size(kernel_size)
    b, c, h, w = x.shape
    windows = pad_for_windows(x, k).unfold(2, k, 1).unfold(3, k, 1)  # [B, C, H, W, k, k] (a view)
    return windows.permute(0, 1, 2, 4, 3, 5).reshape(b, c, h * k, w * k)


def block_view(x_expand: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """View x_expand [B, C, k*H, k*W] as [B, C, H, k, W, k] (block row, row in block, block col, col in block)."""
    b, c, hk, wk = x_expand.shape
    k = check_kernel_size(kernel_size)
    if hk % k or wk % k:
        raise ValueError(f"expanded map {tuple(x_expand.shape)} is not a multiple of kernel_size {k}")
    return x_expand.view(b, c, hk // k, k, wk // k, k)


def check_rate(p: float) -> float:
    """Return ``p`` if ``0 <= p < 1``, else raise ValueError."""
    if not 0.0 <= float(p) < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {p!r}")
    return float(p)


#: how a window's hidden units are drawn: one Bernoulli per channel and offset ('channel', the default), or one
#: per offset shared by all channels ('shared'): the paper's Fig. 3 does not settle which
DROPOUT_DRAWS = ("channel", "shared")


def center_fixed_dropout_mask(batch: int, channels: int, height: int, width: int, kernel_size: int,
                              p: float, *, rescale: bool = True, generator: torch.Generator | None = None,
                              device: torch.device | str | None = None, dtype: torch.dtype = torch.float32,
                              draw: str = "channel") -> torch.Tensor:
    """Sample a multiplier mask [B, C, k*H, k*W] for an expanded map of a [B, C, H, W] feature map.

    Entries are 0 (dropped) or ``1/(1-p)`` (kept; 1 if ``rescale=False``); at every block centre
    ``(i*k + k//2, j*k + k//2)`` the entry is exactly 1 for every channel. ``draw='shared'`` draws one
    decision per (sample, window, offset) for all channels together.
    """
    k, p = check_kernel_size(kernel_size), check_rate(p)
    if draw not in DROPOUT_DRAWS:
        raise ValueError(f"unknown dropout draw {draw!r}; valid: {', '.join(DROPOUT_DRAWS)}")
    shape = (batch, channels, height * k, width * k)
    if p == 0.0:
        return torch.ones(shape, device=device, dtype=dtype)
    drawn = shape if draw == "channel" else (batch, 1, height * k, width * k)
    keep = torch.rand(drawn, generator=generator, device=device, dtype=torch.float32) >= p
    mask = keep.to(dtype).expand(shape).contiguous()
    if rescale:
        mask = mask / (1.0 - p)
    r = k // 2
    block_view(mask, k)[:, :, :, r, :, r] = 1.0
    return mask


class CenterFixedSpatialDropout(nn.Module):
    """x_expand [B, C, k*H, k*W] -> x_expand * mask, with a fresh centre-fixed mask unless one is given.

    Active in train and eval mode alike (FickleNet's stochastic inference); ``p = 0`` is the identity.
    """

    def __init__(self, kernel_size: int, p: float, rescale: bool = True, draw: str = "channel"):
        super().__init__()
        self.kernel_size, self.p, self.rescale = check_kernel_size(kernel_size), check_rate(p), rescale
        if draw not in DROPOUT_DRAWS:
            raise ValueError(f"unknown dropout draw {draw!r}; valid: {', '.join(DROPOUT_DRAWS)}")
        self.draw = draw

    def sample_mask(self, x_expand: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A mask shaped like ``x_expand`` (same device and dtype)."""
        b, c, hk, wk = x_expand.shape
        k = self.kernel_size
        return center_fixed_dropout_mask(b, c, hk // k, wk // k, k, self.p, rescale=self.rescale,
                                         generator=generator, device=x_expand.device, dtype=x_expand.dtype,
                                         draw=self.draw)

    def forward(self, x_expand: torch.Tensor, mask: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        if mask is None:
            if self.p == 0.0:
                return x_expand
            mask = self.sample_mask(x_expand, generator)
        return x_expand * mask

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, p={self.p}, rescale={self.rescale}, draw={self.draw!r}"


def multilabel_sigmoid_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean over images and classes of the binary cross-entropy of sigmoid(logits).

    logits [B, K] (pre-sigmoid scores S), labels [B, K] multi-hot (1 = class present) -> scalar.
    """
    if logits.shape != labels.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and labels {tuple(labels.shape)} differ in shape")
    return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))


SELECTIONS = ("stochastic", "general", "deterministic")


GENERAL_MODES = ("element", "channel")


def general_dropout_mask(shape: tuple[int, int, int, int], p: float, *, mode: str = "element",
                         generator: torch.Generator | None = None, device=None,
                         dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Ordinary inverted-dropout multipliers for x [B, C, H, W]: 0 or ``1/(1-p)``, nothing kept fixed.

    ``mode="element"`` draws per unit; ``"channel"`` (spatial dropout) per (sample, channel), broadcast
    over positions (the returned mask is then [B, C, 1, 1]).
    """
    p = check_rate(p)
    if mode not in GENERAL_MODES:
        raise ValueError(f"unknown general dropout mode {mode!r}; valid: {', '.join(GENERAL_MODES)}")
    draw = tuple(shape) if mode == "element" else (*shape[:2], 1, 1)
    if p == 0.0:
        return torch.ones(draw, device=device, dtype=dtype)
    keep = torch.rand(draw, generator=generator, device=device, dtype=torch.float32) >= p
    return keep.to(dtype) / (1.0 - p)


@MODELS.register_module()
class FickleNetHead(nn.Module):
    """Stochastic hidden-unit selection classifier: x [B, C, H, W] -> logits [B, K].

    Args:
        in_channels: C of the conv5 feature map.
        num_classes: K foreground classes (multi-label; no background class).
        kernel_size: odd window size k (default 3; see module docstring).
        dropout_p: rate p of centre-fixed (S) or general (G) dropout; 0 gives the deterministic network.
        rescale: multiply kept non-centre units by 1/(1-p) (see ``center_fixed_dropout``).
        train_selection / infer_selection: one of ``SELECTIONS`` for train / eval mode.
        general_mode: ``"element"`` or ``"channel"`` dropout for the general (G) selection.
        dropout_draw: ``"channel"`` (one keep decision per channel and offset of a window) or ``"shared"`` (one
            per offset for all channels) for the stochastic (S) selection; see :data:`DROPOUT_DRAWS`.
    """

    def __init__(self, in_channels: int, num_classes: int, kernel_size: int = 3, dropout_p: float = 0.9,
                 rescale: bool = True, train_selection: str = "stochastic",
                 infer_selection: str = "stochastic", bias: bool = True, general_mode: str = "element",
                 dropout_draw: str = "channel"):
        super().__init__()
        for sel in (train_selection, infer_selection):
            if sel not in SELECTIONS:
                raise ValueError(f"unknown hidden-unit selection {sel!r}; valid: {', '.join(SELECTIONS)}")
        self.in_channels, self.num_classes = int(in_channels), int(num_classes)
        self.kernel_size = check_kernel_size(kernel_size)
        self.dropout_p = check_rate(dropout_p)
        self.train_selection, self.infer_selection = train_selection, infer_selection
        if general_mode not in GENERAL_MODES:
            raise ValueError(f"unknown general dropout mode {general_mode!r}; valid: {', '.join(GENERAL_MODES)}")
        self.general_mode = general_mode
        k = self.kernel_size
        self.weight = nn.Parameter(torch.empty(self.num_classes, self.in_channels, k, k))
        self.bias = nn.Parameter(torch.empty(self.num_classes)) if bias else None
        self.dropout = CenterFixedSpatialDropout(k, self.dropout_p, rescale, dropout_draw)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Same initialisation as ``nn.Conv2d``."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.weight[0].numel())
            nn.init.uniform_(self.bias, -bound, bound)

    @property
    def selection(self) -> str:
        """The selection used now: ``train_selection`` in train mode, ``infer_selection`` in eval mode."""
        return self.train_selection if self.training else self.infer_selection

    def sample_mask(self, x: torch.Tensor, selection: str | None = None,
                    generator: torch.Generator | None = None) -> torch.Tensor | None:
        """Dropout multipliers for feature map x [B, C, H, W] under ``selection``.

        S: [B, C, kH, kW] centre-fixed mask; G: [B, C, H, W] (element) or [B, C, 1, 1] (channel); D: None.
        """
        sel = selection or self.selection
        b, c, h, w = x.shape
        if sel == "stochastic":
            return center_fixed_dropout_mask(b, c, h, w, self.kernel_size, self.dropout_p,
                                             rescale=self.dropout.rescale, generator=generator,
                                             device=x.device, dtype=x.dtype, draw=self.dropout.draw)
        if sel == "general":
            return general_dropout_mask((b, c, h, w), self.dropout_p, mode=self.general_mode,
                                        generator=generator, device=x.device, dtype=x.dtype)
        return None

    def stochastic_scores(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Map-expansion implementation: x [B, C, H, W], mask [B, C, kH, kW] or None -> [B, K, H, W]."""
        x_expand = expand_feature_map(x, self.kernel_size)
        if mask is not None:
            x_expand = x_expand * mask
        return F.conv2d(x_expand, self.weight, self.bias, stride=self.kernel_size)

    def position_scores(self, x: torch.Tensor, mask: torch.Tensor | None = None, selection: str | None = None,
                        generator: torch.Generator | None = None) -> torch.Tensor:
        """Class scores per sliding-window position: x [B, C, H, W] -> [B, K, H, W] (before sigmoid).

        ``mask`` (from :meth:`sample_mask`) fixes the random selection; otherwise a fresh one is drawn.
        """
        sel = selection or self.selection
        if sel not in SELECTIONS:
            raise ValueError(f"unknown hidden-unit selection {sel!r}; valid: {', '.join(SELECTIONS)}")
        if mask is None and self.dropout_p > 0.0:
            mask = self.sample_mask(x, sel, generator)
        if sel == "stochastic":
            return self.stochastic_scores(x, mask)
        if sel == "general" and mask is not None:
            x = x * mask
        return F.conv2d(x, self.weight, self.bias, padding=self.kernel_size // 2)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, selection: str | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """Image-level logits S [B, K]: global average pooling of :meth:`position_scores`."""
        return self.position_scores(x, mask, selection, generator).mean(dim=(2, 3))

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Multi-label sigmoid cross-entropy of logits [B, K] against multi-hot labels [B, K]."""
        return multilabel_sigmoid_loss(logits, labels)

    def extra_repr(self) -> str:
        return (f"in_channels={self.in_channels}, num_classes={self.num_classes}, "
                f"kernel_size={self.kernel_size}, dropout_p={self.dropout_p}, "
                f"train_selection={self.train_selection!r}, infer_selection={self.infer_selection!r}")


def naive_fickle_scores(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                        kernel_size: int, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Per-position loop: x [B, C, H, W], weight [K, C, k, k], mask [B, C, kH, kW] -> scores [B, K, H, W]."""
    k = check_kernel_size(kernel_size)
    b, c, h, w = x.shape
    x_pad = pad_for_windows(x, k)
    w_flat = weight.reshape(weight.shape[0], -1).t()  # [C*k*k, K]
    columns = []
    for i in range(h):
        for j in range(w):
            window = x_pad[:, :, i:i + k, j:j + k]  # [B, C, k, k]
            if mask is not None:
                window = window * mask[:, :, i * k:(i + 1) * k, j * k:(j + 1) * k]
            score = window.reshape(b, -1) @ w_flat  # [B, K]
            columns.append(score if bias is None else score + bias)
    return torch.stack(columns, dim=-1).view(b, weight.shape[0], h, w)


@MODELS.register_module()
class NaiveFickleNetHead(FickleNetHead):
    """:class:`FickleNetHead` whose stochastic selection uses :func:`naive_fickle_scores` (same parameters)."""

    def stochastic_scores(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return naive_fickle_scores(x, self.weight, self.bias, self.kernel_size, mask)
