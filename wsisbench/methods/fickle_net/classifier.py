"""FickleNet's classifier (Algorithm 1, lines 1-7): a backbone up to conv5 plus :class:`FickleNetHead`.

:class:`FickleNetClassifier` is the network; :class:`FickleNetImageClassifier` wraps it as the mmengine model
the Runner trains (multi-label sigmoid cross-entropy on image labels), and the map stages call its ``net``.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from mmengine.model import BaseModel
from torch import nn

from wsisbench.models.segmentors import load_imagenet_checkpoint, unbatch_samples
from wsisbench.registry import MODELS

from .localization import FickleMaps, fickle_localization_maps


@MODELS.register_module()
class FickleNetClassifier(nn.Module):
    """images [B, 3, H, W] -> logits [B, K].

    Args:
        backbone: an ``nn.Module`` or a registry config; its output may be a tensor or a tuple/list of
            tensors (mmdet backbones), of which ``feature_index`` is used as conv5 (default the last).
        head: a :class:`FickleNetHead` (or naive variant) or its config.
    """

    def __init__(self, backbone: nn.Module | dict, head: nn.Module | dict, feature_index: int = -1):
        super().__init__()
        self.backbone = MODELS.build(backbone) if isinstance(backbone, dict) else backbone
        self.head = MODELS.build(head) if isinstance(head, dict) else head
        self.feature_index = feature_index

    def extract_features(self, images: torch.Tensor) -> torch.Tensor:
        """conv5 feature map x [B, C, h, w]."""
        out = self.backbone(images)
        return out[self.feature_index] if isinstance(out, (tuple, list)) else out

    def forward(self, images: torch.Tensor, **head_kwargs) -> torch.Tensor:
        return self.head(self.extract_features(images), **head_kwargs)

    def loss(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Multi-label sigmoid cross-entropy against multi-hot labels [B, K]."""
        return self.head.loss(self(images), labels)

    @torch.no_grad()
    def localization_maps(self, image: torch.Tensor, classes: Sequence[int], num_passes: int = 200,
                          chunk: int = 25, out_size: tuple[int, int] | None = None,
                          generator: torch.Generator | None = None) -> FickleMaps:
        """One image [1, 3, H, W] or [3, H, W]: one backbone forward, then N stochastic Grad-CAM passes.

        ``out_size`` defaults to the image size. The head uses its ``infer_selection`` whatever the mode;
        call ``.eval()`` first so that backbone BatchNorm statistics are not updated.
        """
        if image.dim() == 3:
            image = image[None]
        feats = self.extract_features(image)
        size = tuple(image.shape[-2:]) if out_size is None else out_size
        return fickle_localization_maps(feats, self.head, classes, num_passes, chunk, size,
                                        generator=generator)


@MODELS.register_module()
class FickleNetImageClassifier(BaseModel):
    """images [B, 3, H, W] -> logits [B, K] through :class:`FickleNetClassifier` (backbone + FickleNetHead).

    Args:
        backbone, head: configs of the backbone (conv5 features) and of the FickleNet head.
        num_classes: K foreground classes; overrides ``head.num_classes`` when given.
        pretrained: ImageNet checkpoint for the backbone (paper presets: the run's ``pretrained``), or None.
        data_preprocessor: normalisation config (``mmengine.ImgDataPreprocessor``).

    Loss mode: multi-label sigmoid cross-entropy against ``gt_labels`` [K] multi-hot of each data sample
    (``PackClsInputs``); predict mode: sigmoid scores [B, K]; tensor mode: logits [B, K].
    """

    def __init__(self, backbone: dict, head: dict, num_classes: int | None = None,
                 pretrained: str | None = None, feature_index: int = -1, data_preprocessor: dict | None = None,
                 init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        head = copy.deepcopy(dict(head))
        if num_classes is not None:
            head["num_classes"] = int(num_classes)
        self.net = FickleNetClassifier(copy.deepcopy(dict(backbone)), head, feature_index)
        self.load_report = None
        if pretrained is not None:
            self.load_report = load_imagenet_checkpoint(self.net.backbone, pretrained, "FickleNet classifier "
                                                        "backbone", "pretrained")

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
