"""IRNet's class boundary and displacement branches, their losses, and the random walk on boundary affinities.

After J. Ahn, S. Cho, S. Kwak, *Weakly Supervised Learning of Instance Segmentation with Inter-pixel
Relations*, CVPR 2019, arXiv:1904.05044 (IRNet), the second step of NoPeopleAllowed.

Everything lives on one grid of ``h x w`` nodes: the finest backbone level (stride 4 of the image in the
paper). A pixel is ``x_i = (y, x)`` in pixels of that grid, and a pair ``(i, j)`` is ``j = i + (dy, dx)`` with
an offset from :func:`pair_offsets` (one half of the disk of radius ``radius``, so each unordered pair is
counted once). Pair tensors are ``[B, P, h, w]``: entry ``[b, p, y, x]`` is the pair from ``(y, x)`` to
``(y, x) + offsets[p]``; a pair whose end leaves the grid is invalid (its labels are all False, its affinity 0).

- Affinity from boundaries: ``a_ij = 1 - max_{k on the segment [x_i, x_j]} B(x_k)``. The segment is the
  closed one (both ends included), sampled at ``n + 1`` points ``x_i + round(t (x_j - x_i))``,
  ``t = 0, 1/n, ..., 1``, ``n = max(|dy|, |dx|)``: consecutive points are 8-neighbours, so the segment
  cannot step over a boundary one pixel thick. ``a_ii = 1`` (a self-loop, as in IRNet).
- Affinity labels from a pseudo-label map (0 background, 1.. classes, ``ignore_index`` unknown): positive
  foreground pairs (same class, not background), positive background pairs, negative pairs (different
  classes); a pair with an unknown end is none of these.
- Random walk: CAMs times ``1 - B`` propagated by ``T = D^-1 A^beta`` (``D`` the degrees): each step
  replaces a node's value by the affinity-weighted mean of its neighbours' (see :func:`random_walk`).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from scipy import sparse

from wsisbench.errors import WsisbenchError
from wsisbench.registry import MODELS


class IRNetHeads(nn.Module):
    """The boundary and displacement branches on a frozen backbone's multi-level features.

    Each branch maps every level by a 1x1 conv + GroupNorm + ReLU, upsamples the results (bilinear) to the
    first (finest) level, concatenates them and ends in 1x1 convs: boundary -> 1 channel and a sigmoid;
    displacement -> 1x1 conv + GroupNorm + ReLU -> 2 channels.

    Args:
        in_channels: channels of the feature levels, finest first (e.g. strides 4 / 8 / 16).
        boundary_channels, displacement_channels: channels of each level after its 1x1 conv.
        groups: GroupNorm groups (must divide both channel counts).
        detach: detach the features, so no gradient reaches the backbone (the paper freezes it).
    Forward:
        features: list of [B, C_l, h_l, w_l], finest first.
        returns ``(boundary, displacement)``: boundary [B, 1, h, w] in [0, 1]; displacement [B, 2, h, w],
        ``(dy, dx)`` in pixels of the finest grid (``h x w = h_0 x w_0``).
    """

    def __init__(self, in_channels: Sequence[int] = (256, 512, 1024), boundary_channels: int = 32,
                 displacement_channels: int = 64, groups: int = 4, detach: bool = True):
        super().__init__()
        if not in_channels:
            raise WsisbenchError("IRNetHeads needs at least one feature level (in_channels is empty)")
        for name, ch in (("boundary_channels", boundary_channels), ("displacement_channels", displacement_channels)):
            if ch % groups:
                raise WsisbenchError(f"IRNetHeads: {name}={ch} is not divisible by groups={groups}")
        self.in_channels = tuple(int(c) for c in in_channels)
        self.detach = detach
        levels = len(self.in_channels)

        def reduce(c_in: int, c_out: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.GroupNorm(groups, c_out), nn.ReLU(True))

        self.boundary_levels = nn.ModuleList(reduce(c, boundary_channels) for c in self.in_channels)
        self.boundary_out = nn.Conv2d(boundary_channels * levels, 1, 1)
        self.displacement_levels = nn.ModuleList(reduce(c, displacement_channels) for c in self.in_channels)
        self.displacement_out = nn.Sequential(reduce(displacement_channels * levels, displacement_channels),
                                              nn.Conv2d(displacement_channels, 2, 1))

    @staticmethod
    def _fuse(features: Sequence[torch.Tensor], levels: nn.ModuleList) -> torch.Tensor:
        size = features[0].shape[-2:]
        maps = [layer(f) for layer, f in zip(levels, features)]
        maps = [m if m.shape[-2:] == size else F.interpolate(m, size=size, mode="bilinear", align_corners=False)
                for m in maps]
        return torch.cat(maps, dim=1)

    def forward(self, features: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        if len(features) != len(self.in_channels):
            raise WsisbenchError(f"IRNetHeads expects {len(self.in_channels)} feature levels, got {len(features)}")
        for level, (f, c) in enumerate(zip(features, self.in_channels)):
            if f.dim() != 4 or f.shape[1] != c:
                raise WsisbenchError(f"IRNetHeads: level {level} must be [B, {c}, h, w], got {list(f.shape)}")
        if self.detach:
            features = [f.detach() for f in features]
        boundary = torch.sigmoid(self.boundary_out(self._fuse(features, self.boundary_levels)))
        displacement = self.displacement_out(self._fuse(features, self.displacement_levels))
        return boundary, displacement


# --------------------------------------------------------------------------------------------- pairs


def pair_offsets(radius: float) -> torch.Tensor:
    """int64 [P, 2]: the offsets ``(dy, dx)`` with ``0 < dy^2 + dx^2 < radius^2`` and ``dy > 0`` or
    ``dy == 0, dx > 0`` (half of the disk: each unordered pair once), sorted by ``(dy, dx)``."""
    if radius <= 1:
        raise WsisbenchError(f"the pair radius must be above 1 pixel, got {radius}")
    r = int(np.ceil(radius))
    out = [(dy, dx) for dy in range(0, r + 1) for dx in range(-r, r + 1)
           if (dy > 0 or dx > 0) and dy * dy + dx * dx < radius * radius]
    return torch.tensor(out, dtype=torch.int64)


def segment_points(dy: int, dx: int) -> list[tuple[int, int]]:
    """The ``n + 1`` points of the closed segment from ``(0, 0)`` to ``(dy, dx)``, ``n = max(|dy|, |dx|)``
    (each rounded to the nearest pixel); consecutive points are 8-neighbours."""
    n = max(abs(dy), abs(dx))
    if n == 0:
        return [(0, 0)]
    t = np.arange(n + 1) / n
    return list(zip(np.rint(t * dy).astype(int).tolist(), np.rint(t * dx).astype(int).tolist()))


def _offsets_list(offsets: torch.Tensor | Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    out = [(int(dy), int(dx)) for dy, dx in (offsets.tolist() if torch.is_tensor(offsets) else offsets)]
    if not out:
        raise WsisbenchError("no pair offsets given")
    return out


def _shifted(padded: torch.Tensor, pad: int, dy: int, dx: int, h: int, w: int) -> torch.Tensor:
    """``x[..., y + dy, x + dx]`` for every ``(y, x)`` of an ``h x w`` map padded by ``pad`` on each side."""
    return padded[..., pad + dy:pad + dy + h, pad + dx:pad + dx + w]


def pair_valid(h: int, w: int, offsets) -> torch.Tensor:
    """bool [P, h, w]: both ends of the pair are on the grid."""
    ys = torch.arange(h)[:, None]
    xs = torch.arange(w)[None, :]
    return torch.stack([((ys + dy >= 0) & (ys + dy < h) & (xs + dx >= 0) & (xs + dx < w))
                        for dy, dx in _offsets_list(offsets)])


def affinity_labels(label: torch.Tensor, offsets, ignore_index: int = 255,
                    background: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pair labels from a pseudo-label map.

    Args:
        label: int [B, h, w]: ``background``, class indices, or ``ignore_index``.
        offsets: [P, 2] pair offsets (:func:`pair_offsets`).
    Returns:
        ``(pos_fg, pos_bg, neg)``, bool [B, P, h, w]: same non-background class / both background / different
        classes; pairs with an ignored or off-grid end are in none of them.
    """
    if label.dim() != 3:
        raise WsisbenchError(f"affinity_labels expects a label map [B, h, w], got {list(label.shape)}")
    offs = _offsets_list(offsets)
    h, w = label.shape[-2:]
    pad = max(max(abs(dy), abs(dx)) for dy, dx in offs)
    padded = F.pad(label.long(), (pad,) * 4, value=ignore_index)
    other = torch.stack([_shifted(padded, pad, dy, dx, h, w) for dy, dx in offs], dim=1)
    here = label.long()[:, None]
    known = (here != ignore_index) & (other != ignore_index)
    same = known & (here == other)
    pos_bg = same & (here == background)
    return same & ~pos_bg, pos_bg, known & (here != other)


def pair_affinity(boundary: torch.Tensor, offsets) -> torch.Tensor:
    """[B, P, h, w]: ``a_ij = 1 - max`` of the boundary map on the closed segment ``[x_i, x_j]`` (0 for an
    off-grid pair). Differentiable in ``boundary`` [B, 1, h, w] (values in [0, 1])."""
    if boundary.dim() != 4 or boundary.shape[1] != 1:
        raise WsisbenchError(f"the boundary map must be [B, 1, h, w], got {list(boundary.shape)}")
    offs = _offsets_list(offsets)
    h, w = boundary.shape[-2:]
    pad = max(max(abs(dy), abs(dx)) for dy, dx in offs)
    padded = F.pad(boundary[:, 0], (pad,) * 4, value=0.0)
    cache: dict[tuple[int, int], torch.Tensor] = {}

    def at(py: int, px: int) -> torch.Tensor:
        if (py, px) not in cache:
            cache[(py, px)] = _shifted(padded, pad, py, px, h, w)
        return cache[(py, px)]

    peak = torch.stack([torch.stack([at(py, px) for py, px in segment_points(dy, dx)]).amax(dim=0)
                        for dy, dx in offs], dim=1)
    return (1.0 - peak) * pair_valid(h, w, offs).to(boundary.device, boundary.dtype)


def _masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` over ``mask`` (0 for an empty mask)."""
    mask = mask.to(values.dtype)
    return (values * mask).sum() / mask.sum().clamp(min=1.0)


def boundary_loss(boundary: torch.Tensor, pos_fg: torch.Tensor, pos_bg: torch.Tensor, neg: torch.Tensor,
                  offsets, eps: float = 1e-5) -> torch.Tensor:
    """IRNet's class-balanced boundary loss (from pair labels only: no boundary annotation).

    ``L = (L_pos + L_neg) / 2``, ``L_pos = (L_fg + L_bg) / 2``: ``L_fg`` and ``L_bg`` are the means of
    ``-log a_ij`` over the positive foreground / background pairs, ``L_neg`` the mean of ``-log(1 - a_ij)``
    over the negative pairs (an empty set contributes 0; logs of values clamped at ``eps``). Zero when every
    positive pair's segment avoids the boundary (B = 0) and every negative pair's meets it (B = 1).

    Args:
        boundary: [B, 1, h, w] in [0, 1]; pos_fg, pos_bg, neg: bool [B, P, h, w] (:func:`affinity_labels`).
    """
    a = pair_affinity(boundary, offsets)
    loss_fg = _masked_mean(-torch.log(a.clamp(min=eps)), pos_fg)
    loss_bg = _masked_mean(-torch.log(a.clamp(min=eps)), pos_bg)
    loss_neg = _masked_mean(-torch.log((1.0 - a).clamp(min=eps)), neg)
    return ((loss_fg + loss_bg) / 2 + loss_neg) / 2


def displacement_loss(displacement: torch.Tensor, pos_fg: torch.Tensor, pos_bg: torch.Tensor,
                      offsets) -> torch.Tensor:
    """IRNet's displacement loss: ``(L_fg + L_bg) / 2``.

    - ``L_fg``: on the positive foreground pairs (taken as pairs of one instance), both pixels should point at
      the same centroid, ``x_i + D_i = x_j + D_j``: the mean L1 norm of ``(D_i - D_j) - (x_j - x_i)``.
    - ``L_bg``: background pixels belong to no instance, so two of them should not be displaced apart: the mean
      L1 norm of ``D_i - D_j`` over the positive background pairs (IRNet's term on relative displacements).

    Zero for a field that sends every instance pixel to its instance's centroid and is constant on the
    background.

    Args:
        displacement: [B, 2, h, w], ``(dy, dx)`` in pixels of the grid; pos_fg, pos_bg: bool [B, P, h, w].
    """
    if displacement.dim() != 4 or displacement.shape[1] != 2:
        raise WsisbenchError(f"the displacement field must be [B, 2, h, w], got {list(displacement.shape)}")
    offs = _offsets_list(offsets)
    h, w = displacement.shape[-2:]
    pad = max(max(abs(dy), abs(dx)) for dy, dx in offs)
    padded = F.pad(displacement, (pad,) * 4, value=0.0)
    other = torch.stack([_shifted(padded, pad, dy, dx, h, w) for dy, dx in offs], dim=2)  # [B, 2, P, h, w]
    here = displacement[:, :, None]
    target = torch.tensor(offs, dtype=displacement.dtype, device=displacement.device).T[None, :, :, None, None]
    loss_fg = _masked_mean((here - other - target).abs().sum(dim=1), pos_fg)
    loss_bg = _masked_mean((here - other).abs().sum(dim=1), pos_bg)
    return (loss_fg + loss_bg) / 2


# --------------------------------------------------------------------------------------------- random walk


def _grid_boundary(boundary: torch.Tensor) -> torch.Tensor:
    """[h, w] from a boundary map [h, w], [1, h, w] or [1, 1, h, w]."""
    b = boundary
    while b.dim() > 2 and b.shape[0] == 1:
        b = b[0]
    if b.dim() != 2:
        raise WsisbenchError(f"expected one boundary map [h, w] (or [1, 1, h, w]), got {list(boundary.shape)}")
    return b


def boundary_affinity(boundary: torch.Tensor, radius: float) -> sparse.csr_array:
    """Sparse symmetric float64 affinities [N, N] (``N = h w``, row-major nodes ``y * w + x``) of one boundary
    map [h, w]: ``a_ij = 1 - max B`` on the segment for ``0 < |x_j - x_i| < radius``, ``a_ii = 1`` (as in
    IRNet), no entry beyond the radius. ``a_ji`` uses the segment of ``a_ij``, so the matrix is exactly symmetric. About
    ``pi radius^2`` entries per row: 78 at radius 5, so a 500 x 375 image's stride-4 grid takes about 11 MiB."""
    b = _grid_boundary(boundary).detach().double()
    h, w = b.shape
    offs = pair_offsets(radius)
    a = pair_affinity(b[None, None], offs)[0]  # [P, h, w]
    valid = pair_valid(h, w, offs)
    nodes = torch.arange(h * w).reshape(h, w)
    rows, cols, vals = [nodes.flatten()], [nodes.flatten()], [torch.ones(h * w, dtype=b.dtype)]
    for p, (dy, dx) in enumerate(offs.tolist()):
        src = nodes[valid[p]]
        dst = src + dy * w + dx
        rows += [src, dst]
        cols += [dst, src]
        vals += [a[p][valid[p]]] * 2
    n = h * w
    return sparse.csr_array((torch.cat(vals).numpy(), (torch.cat(rows).numpy(), torch.cat(cols).numpy())),
                            shape=(n, n))


def random_walk(cams: torch.Tensor, affinity, beta: float = 10.0, iterations: int = 256,
                boundary: torch.Tensor | None = None) -> torch.Tensor:
    """Propagate class maps by IRNet's random walk: ``vec(M*) = T^t vec(M * (1 - B))``.

    ``T = D^-1 (A^beta)^T`` (``A^beta`` element-wise, ``D`` its column sums; a node with no affinity at all
    gets a self-loop): each step replaces a node's value by the affinity-weighted mean of its neighbours'
    values, ``m'_j = sum_i m_i a_ij^beta / sum_i a_ij^beta``, IRNet's ``x @ (A / A.sum(0))``. Values stay
    within the range of the start, nothing crosses between components, and on a connected component with
    self-loops the maps converge to a constant. For a symmetric ``A`` the degree-weighted mass
    ``sum_j d_j m_j`` is kept, so the total mass is kept where the nodes reached have equal degrees. (The
    transpose, each node sending its mass to its neighbours, would keep the total mass but gather it where
    degrees are high, in the large smooth regions, mostly background.) IRNet takes ``t`` a power of two by
    repeated squaring of a dense ``T``; here ``t`` sparse matrix-vector steps give the same ``T^t`` in
    ``O(t C N r^2)`` time and ``O(N r^2)`` memory (the matrix built with scipy, the steps by torch's sparse
    CSR product in float64).

    Args:
        cams: [C, h, w] non-negative class maps.
        affinity: [N, N] non-negative affinities, ``N = h w``, row-major nodes: a scipy sparse array
            (:func:`boundary_affinity`) or a dense tensor.
        beta: the exponent on the affinities (10 in IRNet).
        iterations: the number of steps ``t``.
        boundary: optional [h, w] boundary map in [0, 1]; the maps are multiplied by ``1 - boundary`` first.
    Returns:
        [C, h, w] propagated maps (float32).
    """
    if cams.dim() != 3:
        raise WsisbenchError(f"random_walk expects class maps [C, h, w], got {list(cams.shape)}")
    c, h, w = cams.shape
    n = h * w
    if torch.is_tensor(affinity):
        affinity = sparse.csr_array(affinity.detach().double().numpy())
    if tuple(affinity.shape) != (n, n):
        raise WsisbenchError(f"the affinity of a {h}x{w} grid must be [{n}, {n}], got {list(affinity.shape)}")
    if iterations < 0:
        raise WsisbenchError(f"random walk iterations must be >= 0, got {iterations}")
    trans = sparse.csr_array(affinity, dtype=np.float64, copy=True)
    if bool((trans.data < 0).any()):
        raise WsisbenchError("random walk affinities must be non-negative")
    trans.data **= beta
    degree = np.asarray(trans.sum(axis=0)).ravel()  # column sums: the weights a node averages over
    isolated = degree <= 0
    if isolated.any():
        trans = (trans + sparse.diags_array(isolated.astype(np.float64))).tocsr()
        degree[isolated] = 1.0
    trans_t = (sparse.diags_array(1.0 / degree) @ trans.T).tocsr()  # m' = T m, one node per row
    trans_t.sort_indices()  # torch's CSR layout wants sorted columns in each row
    with warnings.catch_warnings():  # torch calls its sparse CSR layout beta; its product is exact here
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        step = torch.sparse_csr_tensor(torch.from_numpy(trans_t.indptr.astype(np.int64)),
                                       torch.from_numpy(trans_t.indices.astype(np.int64)),
                                       torch.from_numpy(trans_t.data), size=(n, n), check_invariants=True)
    values = cams.detach().double().reshape(c, n).t().contiguous()  # [N, C]
    if boundary is not None:
        values = values * (1.0 - _grid_boundary(boundary).detach().double().reshape(n, 1))
    for _ in range(int(iterations)):
        values = step @ values
    return values.t().float().reshape(c, h, w).contiguous()


# --------------------------------------------------------------------------------------------- the model


@MODELS.register_module()
class IRNet(BaseModel):
    """IRNet's two branches on a frozen backbone, trained from pseudo-label maps alone.

    Args:
        backbone: config of a backbone returning a tuple of maps, finest first; it is frozen (no gradient,
            kept in eval mode: its BatchNorm statistics stay the ImageNet ones).
        in_channels: channels of those maps; read from ``backbone.out_channels`` when None.
        radius: pair radius on the finest grid (IRNet: 10 at stride 4 of 512 px crops; 5 at stride 4 of
            128 px images).
        heads: extra keyword arguments of :class:`IRNetHeads`.
        data_preprocessor: mmseg ``SegDataPreProcessor`` (normalises, pads images and label maps to a batch).
    Forward:
        ``mode='loss'``: ``inputs`` [B, 3, H, W], ``data_samples`` with ``gt_sem_seg`` [1, H, W] (0 background,
        c + 1 class c, 255 unknown) -> ``{'loss_boundary', 'loss_displacement'}``; the labels are taken to the
        finest grid by nearest sampling.
        ``mode='tensor'``: ``(boundary [B, 1, h, w], displacement [B, 2, h, w])``.
    """

    def __init__(self, backbone: dict, radius: float = 5.0, in_channels: Sequence[int] | None = None,
                 heads: dict | None = None, data_preprocessor: dict | None = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        for p in self.backbone.parameters():
            p.requires_grad_(False)
        channels = in_channels or getattr(self.backbone, "out_channels", None)
        if channels is None:
            raise WsisbenchError("IRNet needs in_channels for a backbone without `out_channels`")
        self.heads = IRNetHeads(in_channels=channels, detach=True, **(heads or {}))
        self.radius = float(radius)
        self.register_buffer("offsets", pair_offsets(self.radius), persistent=False)

    def train(self, mode: bool = True):
        super().train(mode)
        self.backbone.eval()
        return self

    def branches(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``inputs`` [B, 3, H, W] -> boundary [B, 1, h, w], displacement [B, 2, h, w] on the finest grid."""
        with torch.no_grad():
            features = self.backbone(inputs)
        return self.heads(features)

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = "tensor"):
        boundary, displacement = self.branches(inputs)
        if mode == "tensor":
            return boundary, displacement
        if mode != "loss":
            raise WsisbenchError(f"IRNet supports the modes 'loss' and 'tensor', got {mode!r}")
        labels = torch.stack([s.gt_sem_seg.data[0] for s in data_samples]).float()[:, None]
        labels = F.interpolate(labels, size=boundary.shape[-2:], mode="nearest")[:, 0].long()
        pos_fg, pos_bg, neg = affinity_labels(labels.to(inputs.device), self.offsets)
        return {"loss_boundary": boundary_loss(boundary, pos_fg, pos_bg, neg, self.offsets),
                "loss_displacement": displacement_loss(displacement, pos_fg, pos_bg, self.offsets)}
