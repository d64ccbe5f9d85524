"""FickleNet's classifier as an mmengine model (the Runner trains it; the map stages call ``.net``)."""
from __future__ import annotations

import copy

import torch
from mmengine.model import BaseModel

from wsisbench.models.ficklenet import FickleNetClassifier
from wsisbench.models.segmentors import freeze_unused, load_imagenet_checkpoint, unbatch_samples
from wsisbench.registry import MODELS


@MODELS.register_module()
class FickleNetImageClassifier(BaseModel):
    """images [B, 3, H, W] -> logits [B, K] through :class:`FickleNetClassifier` (backbone + FickleNetHead).

    Args:
        backbone, head: configs of the backbone (conv5 features) and of the FickleNet head.
        num_classes: K foreground classes; overrides ``head.num_classes`` when given.
        pretrained: ImageNet checkpoint for the backbone (paper presets), or None.
        pretrained_option: config key that sets ``pretrained`` (named in error messages).
        data_preprocessor: normalisation config (``mmengine.ImgDataPreprocessor``).
        unused_backbone_params: name prefixes of backbone parameters the forward never uses (frozen so that
            DDP does not wait for their gradients), e.g. ``['net._fc']`` for EfficientNet-Lite0.

    Loss mode: multi-label sigmoid cross-entropy against ``gt_labels`` [K] multi-hot of each data sample
    (``PackClsInputs``); predict mode: sigmoid scores [B, K]; tensor mode: logits [B, K].
    """

    def __init__(self, backbone: dict, head: dict, num_classes: int | None = None,
                 pretrained: str | None = None, pretrained_option: str = "classifier.pretrained",
                 feature_index: int = -1, data_preprocessor: dict | None = None,
                 unused_backbone_params=(), init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        head = copy.deepcopy(dict(head))
        if num_classes is not None:
            head["num_classes"] = int(num_classes)
        self.net = FickleNetClassifier(copy.deepcopy(dict(backbone)), head, feature_index)
        self.load_report = None
        if pretrained is not None:
            self.load_report = load_imagenet_checkpoint(self.net.backbone, pretrained, "FickleNet classifier "
                                                        "backbone", pretrained_option)
        freeze_unused(self.net.backbone, unused_backbone_params)

    @property
    def head(self):
        return self.net.head

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = "tensor"):
        logits = self.net(inputs)
        if mode == "loss":
            samples = unbatch_samples(data_samples)
            target = torch.stack([torch.as_tensor(s["gt_labels"], dtype=logits.dtype) for s in samples])
            return {"loss_cls": self.net.head.loss(logits, target.to(logits.device))}
        if mode == "predict":
            return logits.sigmoid()
        return logits
