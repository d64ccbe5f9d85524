"""What the weight transfer function reads for each class: w_det from the box head, or a fixed control.

Kinds (Table 3.1 of the Mask^X R-CNN report):

- ``'cls'``: the RoI classification weights w_cls of each class, [K, D] (D = box head feature size).
- ``'box'``: the class-specific box regression weights w_box, the 4 rows of a class concatenated, [K, 4D].
- ``'cls+box'``: both, concatenated, [K, 5D].
- ``'randn'``: a fixed random Gaussian vector per class (a control without visual information), [K, dim].
- ``'embedding'``: fixed word vectors (GloVe-style file given by the user), [K, dim].

With ``stop_grad`` the mask loss does not reach w_det (w_seg = T(stop_grad(w_det))); box losses still do.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from wsisbench.errors import WsisbenchError

from .word_embeddings import load_class_embeddings

KINDS = ("cls", "box", "cls+box", "randn", "embedding")


def detection_weights(bbox_head: nn.Module) -> dict[str, torch.Tensor]:
    """The class-specific detection weights of an mmdet ``BBoxHead`` (K foreground classes).

    Returns ``{'cls': [K, D], 'box': [K, 4D]}`` (graph-connected views of ``fc_cls`` / ``fc_reg`` weights).
    mmdet puts the background logit last in ``fc_cls`` (dropped here) and orders ``fc_reg`` rows as
    ``4 * label + coordinate``.
    """
    num_classes = bbox_head.num_classes
    out = {}
    if getattr(bbox_head, "with_cls", True) and getattr(bbox_head, "fc_cls", None) is not None:
        out["cls"] = bbox_head.fc_cls.weight[:num_classes]
    if getattr(bbox_head, "with_reg", True) and getattr(bbox_head, "fc_reg", None) is not None:
        w = bbox_head.fc_reg.weight
        if getattr(bbox_head, "reg_class_agnostic", False) or w.shape[0] != 4 * num_classes:
            out["box_error"] = torch.empty(0)
        else:
            out["box"] = w.reshape(num_classes, 4 * w.shape[1])
    return out


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
