"""The PRM classifier: a fully convolutional network with peak stimulation.

backbone -> 1x1 conv (with bias) to K class response maps (CRMs) -> peak stimulation -> class scores [B, K],
trained with the multi-label soft-margin loss on image labels. ``aggregation='gap'`` replaces peak
stimulation by global average pooling (the CAM baseline of the same network).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from wsisbench.errors import WsisbenchError
from wsisbench.registry import MODELS

from .peak_stimulation import multilabel_soft_margin, peak_stimulation


@MODELS.register_module()
class PRMClassifier(BaseModel):
    """Args:
        backbone: config of a backbone ([B, 3, H, W] -> [B, C, h, w] or a tuple ending with it).
        num_classes: K.
        in_channels: C (default ``backbone.out_channels``).
        aggregation: 'peak' (peak stimulation) or 'gap' (global average pooling).
        win_size: peak window (odd); filter: the training peak filter ('median' | 'mean' | 'none').
        upsample: CRMs are bilinearly upsampled by this factor before peaks are found (the reference's
            sub-pixel peak locating; 1 = off).
        init_bias: initial bias of the CRM conv (None: PyTorch's default). A negative prior (e.g. -3, the logit
            of a class present in ~5 % of the images) starts every class score near "absent".
    """

    def __init__(self, backbone: dict, num_classes: int, in_channels: int | None = None,
                 aggregation: str = "peak", win_size: int = 3, filter: str = "median", upsample: int = 1,
                 init_bias: float | None = None, data_preprocessor: dict | None = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if aggregation not in ("peak", "gap"):
            raise WsisbenchError(f"PRMClassifier: aggregation must be 'peak' or 'gap', got {aggregation!r}")
        self.backbone = MODELS.build(backbone)
        c = in_channels or getattr(self.backbone, "out_channels", None)
        if c is None:
            raise WsisbenchError("PRMClassifier needs in_channels for a backbone without `out_channels`")
        self.num_classes, self.aggregation = num_classes, aggregation
        self.win_size, self.filter, self.upsample = win_size, filter, int(upsample)
        self.classifier = nn.Conv2d(c, num_classes, 1)
        if init_bias is not None:
            nn.init.constant_(self.classifier.bias, float(init_bias))

    def features(self, inputs: torch.Tensor) -> torch.Tensor:
        feats = self.backbone(inputs)
        return feats[-1] if isinstance(feats, (tuple, list)) else feats

    def low_res_maps(self, inputs: torch.Tensor) -> torch.Tensor:
        """[B, 3, H, W] -> CRMs [B, K, h, w] before the sub-pixel upsampling (logit units)."""
        return self.classifier(self.features(inputs))

    def class_response_maps(self, inputs: torch.Tensor) -> torch.Tensor:
        """[B, 3, H, W] -> CRMs [B, K, h * upsample, w * upsample] (logit units)."""
        crms = self.low_res_maps(inputs)
        if self.upsample > 1:
            crms = F.interpolate(crms, scale_factor=self.upsample, mode="bilinear", align_corners=True)
        return crms

    # CAM helpers of wsisbench.localization call this name
    class_maps = class_response_maps

    def aggregate(self, crms: torch.Tensor) -> torch.Tensor:
        """[B, K, h, w] -> class scores [B, K] (logits)."""
        if self.aggregation == "gap":
            return crms.mean(dim=(2, 3))
        return peak_stimulation(crms, self.win_size, self.filter)[0]

    def forward(self, inputs: torch.Tensor, data_samples: Sequence[dict] | None = None, mode: str = "tensor"):
        if isinstance(data_samples, dict):  # pseudo_collate: {key: [value per sample]}
            n = len(data_samples["gt_labels"])
            data_samples = [{k: v[i] for k, v in data_samples.items() if len(v) == n} for i in range(n)]
        crms = self.class_response_maps(inputs)
        scores = self.aggregate(crms)
        if mode == "loss":
            target = torch.stack([torch.as_tensor(s["gt_labels"], dtype=scores.dtype) for s in data_samples])
            return {"loss_cls": multilabel_soft_margin(scores, target.to(scores.device))}
        if mode == "predict":
            return [dict(sample, pred_scores=p, crm=m) for sample, p, m in
                    zip(data_samples or [{}] * len(scores), scores.sigmoid(), crms)]
        return scores
