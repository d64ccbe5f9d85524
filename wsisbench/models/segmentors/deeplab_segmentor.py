"""A DeepLab-style segmenter (backbone + LargeFOV/ASPP head) trained with DSRG's loss (FickleNet Sec. 3.3).

Forward modes (mmengine ``BaseModel``):

- ``tensor``: logits [B, num_classes, h, w] at the head's resolution (output stride 8);
- ``loss``: ``loss_seed``, ``loss_boundary`` and ``loss_full`` (already multiplied by alpha) of
  :class:`wsisbench.models.dsrg.DSRGLoss`, computed at ``loss_size``; mmengine sums them;
- ``predict``: softmax probabilities [B, num_classes, H, W] upsampled (bilinear) to the input size.

``data_samples`` (from ``PackSeedSegInputs``; a list of dicts or mmengine's dict of lists) carry
``seeds`` [H, W] int64 (0 background, 1..K, 255 unlabelled), ``image_labels`` [K] multi-hot foreground
labels, ``is_full`` (bool: pixel-labelled image of the semi-supervised setting) and ``full_labels``
[H, W] (ground truth of such images; all 255 otherwise).
"""
from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from wsisbench.errors import WsisbenchError
from wsisbench.registry import MODELS

from .checkpoint import load_imagenet_checkpoint


def unbatch_samples(data_samples) -> list[dict]:
    """mmengine's ``pseudo_collate`` turns a list of dicts into a dict of lists; undo that."""
    if isinstance(data_samples, dict):
        n = len(next(iter(data_samples.values())))
        return [{k: v[i] for k, v in data_samples.items()} for i in range(n)]
    return list(data_samples or [])


@MODELS.register_module()
class DeepLabSegmentor(BaseModel):
    """images [B, 3, H, W] -> logits [B, num_classes, H/s, W/s].

    Args:
        backbone: config of a backbone returning [B, C, h, w] (or a tuple/list; ``feature_index`` picks one).
        decode_head: config of the classifier head (``LargeFOVHead``, ``ASPPHead``); ``num_classes`` is set.
        num_classes: K + 1 (background included).
        loss: config of the training loss (``DSRGLoss``).
        loss_size: (h, w) the loss is computed at (logits resized bilinearly, seeds by nearest); None keeps
            the logits' size (DSRG: 41 x 41 for 321 x 321 crops).
        pretrained: ImageNet checkpoint of the backbone (None: as the backbone initialises itself).
        pretrained_option: the config key that sets ``pretrained`` (for error messages).
        ignore_index: label of unlabelled seed pixels.
    """

    def __init__(self, backbone: dict, decode_head: dict, num_classes: int, loss: dict | None = None,
                 loss_size: Sequence[int] | None = None, pretrained: str | None = None,
                 pretrained_option: str = "pretrained", feature_index: int = -1,
                 data_preprocessor: dict | None = None, ignore_index: int = 255, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if num_classes is None or int(num_classes) < 2:
            raise WsisbenchError(f"DeepLabSegmentor: num_classes must be K + 1 >= 2, got {num_classes!r}")
        self.num_classes = int(num_classes)
        self.backbone = MODELS.build(copy.deepcopy(backbone))
        head = dict(copy.deepcopy(decode_head), num_classes=self.num_classes)
        self.decode_head = MODELS.build(head)
        self.criterion = MODELS.build(copy.deepcopy(loss or dict(type="DSRGLoss")))
        self.loss_size = None if loss_size is None else tuple(int(s) for s in loss_size)
        self.feature_index = feature_index
        self.ignore_index = ignore_index
        self.load_report = None
        if pretrained is not None:
            self.load_report = load_imagenet_checkpoint(self.backbone, pretrained, "segmenter backbone",
                                                        pretrained_option)

    def logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Normalised images [B, 3, H, W] -> logits [B, num_classes, h, w]."""
        feats = self.backbone(inputs)
        if isinstance(feats, (tuple, list)):
            feats = feats[self.feature_index]
        return self.decode_head(feats)

    def raw_rgb(self, inputs: torch.Tensor) -> torch.Tensor:
        """Undo the preprocessor's normalisation: RGB in 0..255 [B, 3, H, W] (the CRF's image)."""
        pre = self.data_preprocessor
        if getattr(pre, "_enable_normalize", False):
            return inputs * pre.std + pre.mean
        return inputs

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = "tensor"):
        logits = self.logits(inputs)
        if mode == "loss":
            return self.loss(logits, inputs, unbatch_samples(data_samples))
        if mode == "predict":
            size = tuple(inputs.shape[-2:])
            return torch.softmax(F.interpolate(logits, size=size, mode="bilinear", align_corners=False), dim=1)
        return logits

    def loss(self, logits: torch.Tensor, inputs: torch.Tensor, samples: list[dict]) -> dict[str, torch.Tensor]:
        """DSRG losses of a batch (see the module docstring for the sample keys)."""
        if len(samples) != logits.shape[0]:
            raise ValueError(f"{len(samples)} data samples for a batch of {logits.shape[0]} images")
        device = logits.device
        size = self.loss_size or tuple(logits.shape[-2:])
        if tuple(logits.shape[-2:]) != size:
            logits = F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
        seeds = torch.stack([torch.as_tensor(s["seeds"]) for s in samples]).to(device)
        if tuple(seeds.shape[-2:]) != tuple(inputs.shape[-2:]):
            raise ValueError(f"seed maps {tuple(seeds.shape[-2:])} and images {tuple(inputs.shape[-2:])} differ "
                             f"in size; the pipeline must crop/resize them together")
        seeds = F.interpolate(seeds[:, None].float(), size=size, mode="nearest-exact")[:, 0].long()
        fg = torch.stack([torch.as_tensor(s["image_labels"], dtype=torch.float32) for s in samples]).to(device)
        labels = torch.cat([torch.ones(len(samples), 1, device=device), fg], dim=1)  # [B, K+1], bg implied
        is_full = torch.as_tensor([bool(s.get("is_full", False)) for s in samples], device=device)
        full = None
        if bool(is_full.any()):
            full = torch.stack([torch.as_tensor(s["full_labels"]) for s in samples]).to(device).long()
        out = self.criterion(logits, self.raw_rgb(inputs), seeds, labels, full_labels=full, is_full=is_full)
        alpha = getattr(self.criterion, "alpha", 1.0)
        return {"loss_seed": out["loss_seed"], "loss_boundary": out["loss_boundary"],
                "loss_full": alpha * out["loss_full"]}
