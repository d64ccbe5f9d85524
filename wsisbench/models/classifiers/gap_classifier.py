"""Multi-label image classifier with global average pooling, the network behind class activation maps."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from wsisbench.registry import MODELS


@MODELS.register_module()
class GAPClassifier(BaseModel):
    """backbone -> 1x1 conv (no bias) to K class maps -> global average pooling -> logits [B, K].

    Because pooling comes after the 1x1 classifier, the pre-pooling maps ARE the class activation maps
    (Zhou et al. 2016): ``cam = W^T f(x, y)``.

    Args:
        backbone: config of a backbone returning [B, C, h, w] (or a tuple whose last entry is that).
        num_classes: K foreground classes (image labels are multi-hot over them).
        in_channels: C; read from ``backbone.out_channels`` when None.
        data_preprocessor: normalisation config (mmengine ``ImgDataPreprocessor``).
        dropout: dropout rate on the features before the classifier (0 disables).

    ``data_samples`` is a list of dicts with ``gt_labels``: multi-hot float tensor [K] (or the dict of lists
    that mmengine's ``pseudo_collate`` makes of them).
    """

    def __init__(self, backbone: dict, num_classes: int, in_channels: int | None = None,
                 data_preprocessor: dict | None = None, dropout: float = 0.0, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        c = in_channels or getattr(self.backbone, "out_channels", None)
        if c is None:
            raise ValueError("GAPClassifier needs in_channels for a backbone without `out_channels`")
        self.num_classes = num_classes
        self.dropout = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
        self.classifier = nn.Conv2d(c, num_classes, 1, bias=False)

    def features(self, inputs: torch.Tensor) -> torch.Tensor:
        """[B, 3, H, W] -> [B, C, h, w]."""
        feats = self.backbone(inputs)
        return feats[-1] if isinstance(feats, (tuple, list)) else feats

    def class_maps(self, inputs: torch.Tensor) -> torch.Tensor:
        """Class activation maps before pooling: [B, K, h, w] (raw, unnormalised)."""
        return self.classifier(self.features(inputs))

    def forward(self, inputs: torch.Tensor, data_samples: Sequence[dict] | None = None, mode: str = "tensor"):
        if isinstance(data_samples, dict):  # pseudo_collate: {key: [value per sample]}
            n = len(data_samples["gt_labels"])
            data_samples = [{k: v[i] for k, v in data_samples.items() if len(v) == n} for i in range(n)]
        maps = self.classifier(self.dropout(self.features(inputs)))
        logits = maps.mean(dim=(2, 3))
        if mode == "loss":
            target = torch.stack([torch.as_tensor(s["gt_labels"], dtype=logits.dtype) for s in data_samples])
            return {"loss_cls": F.binary_cross_entropy_with_logits(logits, target.to(logits.device))}
        if mode == "predict":
            probs = logits.sigmoid()
            return [dict(sample, pred_scores=p, cam=m) for sample, p, m in
                    zip(data_samples or [{}] * len(probs), probs, maps)]
        return logits
