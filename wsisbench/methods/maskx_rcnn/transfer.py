"""Mask^X R-CNN's weight transfer: class-specific mask weights predicted from detection weights, w_seg = T(w_det).

- :class:`TransferInput`: what T reads for each class (Table 3.1): ``'cls'`` the RoI classification weights
  w_cls [K, D]; ``'box'`` the class's 4 box-regression rows concatenated [K, 4D]; ``'cls+box'`` both [K, 5D];
  ``'randn'`` a fixed random Gaussian vector per class (a control without visual information); ``'embedding'``
  fixed word vectors from a user-supplied GloVe-style file (:func:`load_class_embeddings`: one word and its
  vector per line; a class of several words is the mean of its words; exact lookup first, then lower-case;
  nothing is downloaded). With ``stop_grad`` the mask loss does not reach w_det (box losses still do).
- :class:`WeightTransferFunction`: T, a small class-agnostic MLP (Table 3.2's structures).
- :class:`TransferMaskHead`: Mask R-CNN's FCN mask head whose last 1x1 conv has no learned class weights:
  they are ``T(w_det)`` for every class, recomputed at each forward pass, so classes without training masks
  (B) get mask weights from their detection weights; optionally fused with the class-agnostic MLP branch.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from torch import nn

from wsisbench.errors import DataError, WsisbenchError
from wsisbench.registry import MODELS

from .mlp_branch import MLPMaskBranch, fuse_mask_scores


def _words_of(name: str) -> list[str]:
    return [w for w in name.replace("_", " ").replace("-", " ").split() if w]


def require_file(path: str | os.PathLike | None) -> Path:
    """The embedding file's path; WsisbenchError when none is given or it does not exist."""
    if not path:
        raise WsisbenchError("transfer input 'embedding' needs a word-embedding file: set "
                             "model.roi_head.mask_head.transfer_input.embedding_file=/path/to/glove.txt "
                             "(GloVe text format: 'word v1 v2 ... vD' per line)")
    path = Path(path).expanduser()
    if not path.is_file():
        raise WsisbenchError(f"{path}: word-embedding file does not exist (GloVe text format: "
                             f"'word v1 v2 ... vD' per line)")
    return path


def load_class_embeddings(path: str | os.PathLike | None, class_names: Sequence[str]) -> np.ndarray:
    """float32 [K, D]: one vector per class of ``class_names`` (K classes) read from ``path``.

    Raises:
        WsisbenchError: no path given, or the file does not exist.
        DataError: a malformed line, vectors of different lengths, or a class word missing from the file.
    """
    path = require_file(path)
    wanted = {w for name in class_names for w in _words_of(name)}
    wanted |= {w.lower() for w in wanted}
    vectors: dict[str, np.ndarray] = {}
    dim = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line_no, line in enumerate(f, 1):
            word, _, rest = line.rstrip("\n").partition(" ")
            if word not in wanted or word in vectors:
                continue
            try:
                vec = np.array(rest.split(), dtype=np.float32)
            except ValueError:
                raise DataError(f"{path}:{line_no}: the vector of {word!r} is not a list of numbers") from None
            if dim is None:
                dim = vec.size
            if vec.size == 0 or vec.size != dim:
                raise DataError(f"{path}:{line_no}: {word!r} has {vec.size} values, expected {dim}")
            vectors[word] = vec
    out, missing = [], []
    for name in class_names:
        words = _words_of(name)
        found = [vectors.get(w, vectors.get(w.lower())) for w in words]
        if not words or any(v is None for v in found):
            missing.append(name)
            continue
        out.append(np.mean(found, axis=0))
    if missing:
        raise DataError(f"{path}: no vector for the words of class(es) {missing}")
    return np.stack(out).astype(np.float32)


KINDS = ("cls", "box", "cls+box", "randn", "embedding")


class TransferInput(nn.Module):
    """Per-class input of T: [K, in_dim].

    Args:
        kind: one of :data:`KINDS`.
        num_classes: K.
        det_dim: feature size D of the box head's last layer (for 'cls', 'box', 'cls+box').
        stop_grad: detach w_det from the mask loss (end-to-end training).
        dim: vector size for 'randn'.
        seed: generator seed of 'randn' (the vectors are a buffer, saved with the weights).
        embedding_file: the GloVe-style file for 'embedding'.
        class_names: the K class names, for 'embedding'.
    """

    def __init__(self, kind: str = "cls+box", num_classes: int = 80, det_dim: int = 1024,
                 stop_grad: bool = True, dim: int = 300, seed: int = 0, embedding_file: str | None = None,
                 class_names: Sequence[str] | None = None):
        super().__init__()
        if kind not in KINDS:
            raise WsisbenchError(f"transfer input {kind!r}; valid: {', '.join(KINDS)}")
        self.kind, self.num_classes, self.stop_grad = kind, num_classes, bool(stop_grad)
        if kind == "cls":
            self.dim = det_dim
        elif kind == "box":
            self.dim = 4 * det_dim
        elif kind == "cls+box":
            self.dim = 5 * det_dim
        elif kind == "randn":
            gen = torch.Generator().manual_seed(seed)
            self.register_buffer("fixed", torch.randn(num_classes, dim, generator=gen))
            self.dim = dim
        else:
            if class_names is None or len(class_names) != num_classes:
                raise WsisbenchError(f"transfer input 'embedding' needs the {num_classes} class names "
                                     f"(model.roi_head.mask_head.transfer_input.class_names)")
            vectors = torch.from_numpy(load_class_embeddings(embedding_file, class_names))
            self.register_buffer("fixed", vectors)
            self.dim = vectors.shape[1]

    @property
    def uses_detector(self) -> bool:
        return self.kind in ("cls", "box", "cls+box")

    def forward(self, det_weights: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """``det_weights`` from :func:`detection_weights` -> [K, in_dim]."""
        if not self.uses_detector:
            return self.fixed
        if det_weights is None:
            raise WsisbenchError(f"transfer input {self.kind!r} needs the box head's weights (use the mask head "
                                 f"inside PartialMaskRoIHead)")
        if "box_error" in det_weights and self.kind != "cls":
            raise WsisbenchError("transfer input 'box' / 'cls+box' needs class-specific box regression "
                                 "(bbox_head.reg_class_agnostic=False)")
        parts = [det_weights[k] for k in self.kind.split("+")]
        w = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        if w.shape != (self.num_classes, self.dim):
            raise WsisbenchError(f"transfer input {self.kind!r}: box head weights have shape {tuple(w.shape)}, "
                                 f"expected ({self.num_classes}, {self.dim}); check det_dim / num_classes")
        return w.detach() if self.stop_grad else w


ACTIVATIONS = ("none", "relu", "leaky_relu")


class WeightTransferFunction(nn.Module):
    """Map class embeddings [K, in_dim] to mask weights [K, out_dim], the same function for every class.

    Args:
        in_dim: size of a class's embedding (e.g. 1024 + 4 * 1024 for 'cls+box' with a 1024-d box head).
        out_dim: size of a class's mask weights (the mask head's feature channels, 256 in the paper).
        num_layers: fully connected layers (1 = an affine map, 'none' activation).
        hidden_dim: width of the hidden layers.
        activation: 'relu' | 'leaky_relu' | 'none' between layers (never after the last one).
        negative_slope: slope of LeakyReLU.
    """

    def __init__(self, in_dim: int, out_dim: int, num_layers: int = 2, hidden_dim: int = 1024,
                 activation: str = "leaky_relu", negative_slope: float = 0.1):
        super().__init__()
        if num_layers < 1:
            raise WsisbenchError(f"weight transfer: num_layers must be >= 1, got {num_layers}")
        if activation not in ACTIVATIONS:
            raise WsisbenchError(f"weight transfer: activation {activation!r}; valid: {', '.join(ACTIVATIONS)}")
        if num_layers > 1 and activation == "none":
            raise WsisbenchError("weight transfer: a multi-layer T needs an activation ('relu' or 'leaky_relu')")
        dims = [in_dim] + [hidden_dim] * (num_layers - 1) + [out_dim]
        layers: list[nn.Module] = []
        for i in range(num_layers):
            layers.append(nn.Linear(dims[i], dims[i + 1]))
            if i < num_layers - 1:
                layers.append(nn.ReLU() if activation == "relu" else nn.LeakyReLU(negative_slope))
        self.mlp = nn.Sequential(*layers)
        self.in_dim, self.out_dim = in_dim, out_dim
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=(1.0 / m.in_features) ** 0.5)
                nn.init.zeros_(m.bias)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        """[K, in_dim] -> [K, out_dim]."""
        if embeddings.dim() != 2 or embeddings.shape[1] != self.in_dim:
            raise WsisbenchError(f"weight transfer expects [K, {self.in_dim}] embeddings, got "
                                 f"{tuple(embeddings.shape)}")
        return self.mlp(embeddings)


@MODELS.register_module()
class TransferMaskHead(FCNMaskHead):
    """RoI features [N, C_in, S, S] + box head weights -> mask scores [N, K, M, M] (M = 2S with deconv).

    Args:
        transfer_input: :class:`TransferInput` arguments (``kind``, ``det_dim``, ``stop_grad``, ...);
            ``num_classes`` comes from this head.
        transfer: :class:`WeightTransferFunction` arguments (``num_layers``, ``hidden_dim``, ``activation``).
        mlp_branch: :class:`MLPMaskBranch` arguments (``hidden_dims``, ``reduce_channels``) to fuse the
            class-agnostic MLP branch, or None.
        **kwargs: :class:`mmdet.models.roi_heads.mask_heads.FCNMaskHead` arguments (``num_convs``,
            ``in_channels``, ``conv_out_channels``, ``num_classes``, ``roi_feat_size``, ``loss_mask``, ...).
    """

    #: PartialMaskRoIHead passes the box head's weights to heads that set this
    needs_det_weights = True

    def __init__(self, transfer_input: dict | None = None, transfer: dict | None = None,
                 mlp_branch: dict | None = None, **kwargs):
        kwargs["class_agnostic"] = False
        super().__init__(**kwargs)
        seg_dim = self.conv_logits.in_channels
        self.conv_logits = None  # replaced by T(w_det); FCNMaskHead.init_weights skips None
        self.transfer_input = TransferInput(num_classes=self.num_classes, **(transfer_input or {}))
        self.transfer = WeightTransferFunction(self.transfer_input.dim, seg_dim, **(transfer or {}))
        self.seg_bias = nn.Parameter(torch.zeros(1))
        self.mask_size = self.roi_feat_size[0] * (self.scale_factor if self.upsample is not None else 1)
        self.mlp_branch = None
        if mlp_branch is not None:
            self.mlp_branch = MLPMaskBranch(self.in_channels, self.roi_feat_size[0], self.mask_size, **mlp_branch)

    def mask_weights(self, det_weights: dict[str, torch.Tensor] | None) -> torch.Tensor:
        """w_seg [K, C] for every class."""
        return self.transfer(self.transfer_input(det_weights))

    def forward(self, x: torch.Tensor, det_weights: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        roi_feats = x
        for conv in self.convs:
            x = conv(x)
        if self.upsample is not None:
            x = self.upsample(x)
            if self.upsample_method == "deconv":
                x = self.relu(x)
        w_seg = self.mask_weights(det_weights)
        scores = F.conv2d(x, w_seg[:, :, None, None], self.seg_bias.expand(w_seg.shape[0]))
        mlp_scores = self.mlp_branch(roi_feats) if self.mlp_branch is not None else None
        return fuse_mask_scores(scores, mlp_scores)
