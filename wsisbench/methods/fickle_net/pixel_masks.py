"""Centre-fixed dropout masks in *pixel* layout, for the closed-form Grad-CAM of :mod:`.fast_cams`.

FickleNet's mask lives on the expanded map [n, C, kH, kW]: block (i, j) is the window centred on feature
position (i, j) and entry (u, v) of the block multiplies ``x_pad[i + u, j + v]``, i.e. feature pixel
``(a, b) = (i + u - r, j + v - r)`` with ``r = k // 2``. Re-indexing by the pixel (a, b) and the offset
``o = u * k + v`` gives the pixel layout [n, C, k*k, H, W]; an (offset, pixel) pair whose window centre
lies outside the map belongs to no window (:func:`window_validity`).

- :func:`blocks_to_pixel_layout` re-indexes a mask drawn by
  :func:`wsisbench.models.ficklenet.center_fixed_dropout_mask` (tests compare the two implementations on
  the same random draw);
- :class:`KeepSampler` (:func:`sample_keep_indicators`) draws the non-centre keep/drop decisions directly as 0/1 floats
  [P, n, J] (P = H*W positions first, the layout the batched matmul wants). Entries are independent,
  so the layout changes nothing in distribution. It draws 16-bit uniforms (keep iff u >= t with
  ``t = round(p * 65536) - 32768``, i.e. p rounded to a multiple of 1/65536), about 3x cheaper than
  float uniforms on a CPU.
"""
from __future__ import annotations

import torch

from wsisbench.models.ficklenet.center_fixed_dropout import check_rate
from wsisbench.models.ficklenet.expansion import block_view, check_kernel_size


def window_validity(kernel_size: int, height: int, width: int, device=None) -> torch.Tensor:
    """bool [k*k, H, W]: True where pixel (a, b) at offset (u, v) lies in an existing window."""
    k = check_kernel_size(kernel_size)
    r = k // 2
    rows = torch.arange(height, device=device)
    cols = torch.arange(width, device=device)
    valid = torch.zeros(k * k, height, width, dtype=torch.bool, device=device)
    for u in range(k):
        row_ok = ((rows - (u - r)) >= 0) & ((rows - (u - r)) < height)
        for v in range(k):
            col_ok = ((cols - (v - r)) >= 0) & ((cols - (v - r)) < width)
            valid[u * k + v] = row_ok[:, None] & col_ok[None, :]
    return valid


def blocks_to_pixel_layout(mask: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Expanded-map mask [n, C, kH, kW] -> pixel layout [n, C, k*k, H, W] (0 where no window exists)."""
    k = check_kernel_size(kernel_size)
    r = k // 2
    blocks = block_view(mask, k)  # [n, C, H, k, W, k]
    n, c, h, _, w, _ = blocks.shape
    out = mask.new_zeros(n, c, k * k, h, w)
    for u in range(k):
        di = u - r
        for v in range(k):
            dj = v - r
            src = blocks[:, :, :, u, :, v]  # [n, C, H (window row i), W (window col j)]
            out[:, :, u * k + v, max(di, 0):h + min(di, 0), max(dj, 0):w + min(dj, 0)] = \
                src[:, :, max(-di, 0):h - max(di, 0), max(-dj, 0):w - max(dj, 0)]
    return out


def keep_threshold(p: float) -> int:
    """int16 threshold t with P(u >= t) = 1 - p (to 1/65536) for u uniform on [-32768, 32767]."""
    return int(round(check_rate(p) * 65536)) - 32768


class KeepSampler:
    """Draws independent keep decisions [P, n, J] as 0./1. floats (1 with probability 1 - p).

    The random words and the output live in buffers reused from call to call (fresh multi-megabyte
    allocations cost page faults comparable to the sampling itself); a returned tensor is valid until
    the next call.
    """

    def __init__(self, device=None, dtype: torch.dtype = torch.float32):
        self.device, self.dtype = device, dtype
        self._words = torch.empty(0, dtype=torch.int64, device=device)
        self._out = torch.empty(0, dtype=dtype, device=device)

    def __call__(self, positions: int, passes: int, columns: int, p: float,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        p = check_rate(p)
        shape = (positions, passes, columns)
        total = positions * passes * columns
        if self._out.numel() < total:
            self._out = torch.empty(total, dtype=self.dtype, device=self.device)
        out = self._out[:total].view(shape)
        if p == 0.0:
            return out.fill_(1.0)
        n_words = (total + 3) // 4
        if self._words.numel() < n_words:
            self._words = torch.empty(n_words, dtype=torch.int64, device=self.device)
        words = self._words[:n_words]
        words.random_(-2**63, 2**63 - 1, generator=generator)
        uniform16 = words.view(torch.int16)[:total].view(shape)
        return torch.ge(uniform16, keep_threshold(p), out=out)  # writes 0./1. directly (no bool copy)


def sample_keep_indicators(positions: int, passes: int, columns: int, p: float, *,
                           generator: torch.Generator | None = None, device=None,
                           dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Independent keep decisions [P, n, J] as 0./1. (1 with probability 1 - p); a fresh tensor."""
    return KeepSampler(device, dtype)(positions, passes, columns, p, generator).clone()
