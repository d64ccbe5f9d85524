"""The instance mask generation (IMG) module of Deep Community Learning: class activation maps (CAMs) at
several backbone levels, their fusion, and masks for detected boxes.

Hwang et al., "Weakly Supervised Instance Segmentation by Deep Community Learning", WACV 2021,
arXiv:2001.11207, make instance masks from CAMs (Zhou et al., "Learning Deep Features for Discriminative
Localization", CVPR 2016, arXiv:1512.04150). For class c the CAM is the classifier weight applied at every
grid cell (their Eq. (5)):

    M_c(x, y) = w_c^T F(x, y),

with F the feature map that is globally average-pooled before the classifier. DCL computes CAMs at several
levels of a ResNet-50, each brought to a common S x S grid (S = 28 in the paper): spatial pyramid pooling
(SPP) of the res3 and res4 outputs and an upsampled res5 output; each level has one conv layer, a "weighted
GAP" and a classification layer. Their ablation on the number of CAMs (1, 2, 3 = theirs, 4) is why the
level count is an argument here.

Shapes: B images, C object classes (no background), L levels, S the grid side, D the channels of a level's
conv. Boxes are ``(x1, y1, x2, y2)`` in image pixels; CAM values have the unit of logits.

Readings of the text (it leaves these open; each is our choice):

- **SPP.** A single-level spatial pyramid pooling to an S x S grid, i.e. adaptive pooling over S x S bins
  (He et al., "Spatial Pyramid Pooling in Deep Convolutional Networks for Visual Recognition", ECCV 2014,
  arXiv:1406.4729, pool each bin by max). A multi-level pyramid gives a vector, not a grid, so it could not
  feed a conv layer; a one-level pyramid is also what the detector's "SPP layer after res4" is (RoI pooling).
  The pooling is max by default (SPP-net's), ``'avg'`` is an option. Where a map is already S x S (res4 at
  a 448 x 448 input) the pooling is the identity; where it is smaller, adaptive pooling repeats cells.
- **Upsampling.** res5 is resized to S x S bilinearly (``align_corners=False``).
- **Level order.** ``num_levels = k`` uses the first k of ``('res5', 'res4', 'res3', 'res2')``: 1 is the
  classic CAM on the last conv block, 3 is the paper's (res3 SPP, res4 SPP, upsampled res5), 4 adds res2
  pooled to S x S. The fourth level is our choice: the text does not name it, and res2 is the one ResNet
  stage left (its 112 x 112 map at a 448 input is pooled like res3 and res4). Which levels make up 2 is
  also ours.
- **Weighted GAP.** Plain global average pooling (uniform weights 1 / S^2) of the conv output, followed by
  the classifier, i.e. CAM's "weighted sum" of GAP outputs. It is the simplest reading, and it keeps Eq. (5)
  exact: the GAP of the CAM is the image logit minus the classifier bias. A learned spatial weighting is not
  described by the text and is not added.
- **Conv layer.** One 3 x 3 mmcv ``ConvModule`` (padding 1) with ReLU, no norm by default; its width
  (``channels``, 512 by default) is ours. The text replaces batch norm with group norm; pass
  ``norm_cfg=dict(type='GN', num_groups=32)`` to put one in.
- **Bias.** The classifier has a bias; the CAM (Eq. (5)) leaves it out.
- **Feature smoothing.** "We smooth the input features to CAM networks using a non-linear activation
  function": an element-wise activation on a level's input (after its resize to S x S, before its conv).
  The function is not named; ``'tanh'`` is our suggestion (it saturates, so the few strongest backbone
  activations, which are non-negative after ReLU, lose their lead over the rest of the object). ``None``
  (the default) is off. Any activation in mmcv's registry can be given as a config dict.
- **Loss.** Multi-label soft margin (``F.multilabel_soft_margin_loss``, i.e. binary cross-entropy with
  logits averaged over the C classes and the batch) on each level's image logits, summed over levels. VOC
  images hold several classes, so the per-class sigmoid replaces CAM's softmax; the class mean is the usual
  scale in CAM training code. Summing over levels gives every level the same weight.
- **Fusion.** The mean of the levels' CAMs by default (``'max'`` is an option). The mean is linear, so the
  fused CAM is the CAM of the averaged level classifiers.
- **Masks.** The fused CAM of the detection's class is upsampled bilinearly to the image, cut to the box,
  clamped at 0, divided by its maximum inside the box and thresholded at 0.2 by default; 0.2 of the maximum
  is the rule Zhou et al. use to turn a CAM into a box.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer
from torch import Tensor, nn

#: The levels in the order ``num_levels`` takes them; the first three are the paper's.
LEVEL_ORDER = ("res5", "res4", "res3", "res2")
#: How each level is brought to S x S: ``'pool'`` (SPP, adaptive pooling) or ``'upsample'`` (bilinear).
LEVEL_RESIZE = {"res5": "upsample", "res4": "pool", "res3": "pool", "res2": "pool"}
#: ResNet-50 output channels of each level.
RESNET50_CHANNELS = {"res2": 256, "res3": 512, "res4": 1024, "res5": 2048}
#: Short names for feature smoothing.
SMOOTHING = {"tanh": dict(type="Tanh"), "sigmoid": dict(type="Sigmoid")}
FUSE_RULES = ("mean", "max")


def resize_to_grid(feat: Tensor, grid_size: int, mode: str, pool_type: str = "max") -> Tensor:
    """Bring a feature map ``[B, K, H, W]`` to ``[B, K, S, S]``.

    ``mode='pool'``: single-level SPP, adaptive ``pool_type`` (``'max'`` or ``'avg'``) pooling over S x S
    bins. ``mode='upsample'``: bilinear resize (``align_corners=False``).
    """
    if mode == "upsample":
        return F.interpolate(feat, size=(grid_size, grid_size), mode="bilinear", align_corners=False)
    if mode != "pool":
        raise ValueError(f"resize mode must be 'pool' or 'upsample', got {mode!r}")
    if pool_type == "max":
        return F.adaptive_max_pool2d(feat, grid_size)
    if pool_type == "avg":
        return F.adaptive_avg_pool2d(feat, grid_size)
    raise ValueError(f"pool_type must be 'max' or 'avg', got {pool_type!r}")


class CAMLevel(nn.Module):
    """One level of the CAM subnetwork: resize to S x S, optional smoothing, conv, GAP, classifier.

    Args:
        in_channels: K, the channels of the backbone output of this level.
        num_classes: C, without background.
        resize: ``'pool'`` or ``'upsample'`` (see :func:`resize_to_grid`).
        grid_size: S.
        channels: D, the conv's output channels.
        pool_type: ``'max'`` or ``'avg'`` for ``resize='pool'``.
        smoothing: ``None`` (off), ``'tanh'``, ``'sigmoid'`` or an mmcv activation config dict.
        norm_cfg: the conv's norm config (``None``: conv with bias, no norm).
    """

    def __init__(self, in_channels: int, num_classes: int, resize: str, grid_size: int = 28,
                 channels: int = 512, pool_type: str = "max", smoothing: str | dict | None = None,
                 norm_cfg: dict | None = None) -> None:
        super().__init__()
        if resize not in ("pool", "upsample"):
            raise ValueError(f"resize must be 'pool' or 'upsample', got {resize!r}")
        if pool_type not in ("max", "avg"):
            raise ValueError(f"pool_type must be 'max' or 'avg', got {pool_type!r}")
        self.resize = resize
        self.grid_size = grid_size
        self.pool_type = pool_type
        if isinstance(smoothing, str):
            if smoothing not in SMOOTHING:
                raise ValueError(f"smoothing must be None, one of {tuple(SMOOTHING)} or a dict, got {smoothing!r}")
            smoothing = SMOOTHING[smoothing]
        self.smooth = nn.Identity() if smoothing is None else build_activation_layer(dict(smoothing))
        self.conv = ConvModule(in_channels, channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=dict(type="ReLU"))
        self.classifier = nn.Linear(channels, num_classes)

    def inputs(self, feat: Tensor) -> Tensor:
        """Backbone output ``[B, K, H, W]`` -> the conv's input ``[B, K, S, S]`` (resized, then smoothed)."""
        return self.smooth(resize_to_grid(feat, self.grid_size, self.resize, self.pool_type))

    def features(self, feat: Tensor) -> Tensor:
        """Backbone output -> F, the conv output ``[B, D, S, S]`` (the features of Eq. (5))."""
        return self.conv(self.inputs(feat))

    def forward(self, feat: Tensor) -> tuple[Tensor, Tensor]:
        """Backbone output ``[B, K, H, W]`` -> (image logits ``[B, C]``, CAMs ``[B, C, S, S]``, no bias)."""
        f = self.features(feat)
        logits = self.classifier(f.mean(dim=(2, 3)))
        cams = torch.einsum("cd,bdhw->bchw", self.classifier.weight, f)
        return logits, cams


class MultiLevelCAM(nn.Module):
    """The IMG module's CAM subnetwork: one :class:`CAMLevel` per used backbone level.

    ``forward(feats)`` takes a dict of backbone outputs (``'res2'`` .. ``'res5'`` -> ``[B, Ck, Hk, Wk]``; only
    the used levels are needed) and returns image logits ``[B, L, C]`` and CAMs ``[B, L, C, S, S]``, levels in
    the order of :attr:`level_names` (the first ``num_levels`` of :data:`LEVEL_ORDER`).

    Args:
        num_classes: C, without background.
        num_levels: 1 to 4; 3 is the paper's setting.
        in_channels: channels of each level's backbone output (default: ResNet-50's).
        grid_size: S (28 in the paper).
        channels: width of each level's conv (our default 512).
        pool_type: ``'max'`` (default) or ``'avg'`` for the SPP levels.
        smoothing: feature smoothing, ``None`` (default, off), ``'tanh'``, ``'sigmoid'`` or an mmcv activation
            config dict.
        norm_cfg: norm of each level's conv, e.g. ``dict(type='GN', num_groups=32)``; ``None`` by default.
    """

    def __init__(self, num_classes: int, num_levels: int = 3, in_channels: Mapping[str, int] | None = None,
                 grid_size: int = 28, channels: int = 512, pool_type: str = "max",
                 smoothing: str | dict | None = None, norm_cfg: dict | None = None) -> None:
        super().__init__()
        if not 1 <= num_levels <= len(LEVEL_ORDER):
            raise ValueError(f"num_levels must be in 1..{len(LEVEL_ORDER)}, got {num_levels}")
        in_channels = dict(RESNET50_CHANNELS if in_channels is None else in_channels)
        self.level_names: tuple[str, ...] = LEVEL_ORDER[:num_levels]
        missing = [n for n in self.level_names if n not in in_channels]
        if missing:
            raise ValueError(f"in_channels lacks the levels {missing}")
        self.num_classes = num_classes
        self.grid_size = grid_size
        self.levels = nn.ModuleDict({
            name: CAMLevel(in_channels[name], num_classes, LEVEL_RESIZE[name], grid_size=grid_size,
                           channels=channels, pool_type=pool_type, smoothing=smoothing, norm_cfg=norm_cfg)
            for name in self.level_names
        })

    def _feat(self, feats: Mapping[str, Tensor], name: str) -> Tensor:
        if name not in feats:
            raise KeyError(f"MultiLevelCAM with levels {self.level_names} needs feats[{name!r}]")
        return feats[name]

    def features(self, feats: Mapping[str, Tensor]) -> list[Tensor]:
        """The conv outputs F ``[B, D, S, S]`` of the used levels, in :attr:`level_names` order."""
        return [self.levels[n].features(self._feat(feats, n)) for n in self.level_names]

    def forward(self, feats: Mapping[str, Tensor]) -> tuple[Tensor, Tensor]:
        """``feats`` -> (logits ``[B, L, C]``, CAMs ``[B, L, C, S, S]``)."""
        outs = [self.levels[n](self._feat(feats, n)) for n in self.level_names]
        logits = torch.stack([o[0] for o in outs], dim=1)
        cams = torch.stack([o[1] for o in outs], dim=1)
        return logits, cams


def cam_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Multi-label soft-margin loss of each level's image logits, summed over levels.

    ``logits`` ``[B, L, C]`` (or ``[B, C]`` for one level), ``labels`` ``[B, C]`` in {0, 1}. Each level's
    term is ``F.multilabel_soft_margin_loss`` (binary cross-entropy with logits, mean over classes and
    images). Returns a scalar.
    """
    if logits.dim() == 2:
        logits = logits.unsqueeze(1)
    target = labels.to(logits.dtype)
    return sum(F.multilabel_soft_margin_loss(logits[:, level], target) for level in range(logits.shape[1]))


def fuse_cams(cams: Sequence[Tensor] | Tensor, rule: str = "mean") -> Tensor:
    """Fuse the CAMs of L levels, each ``[C, S, S]`` (a list, or a tensor ``[L, C, S, S]``), into one
    ``[C, S, S]`` by the element-wise ``'mean'`` (default) or ``'max'``."""
    stacked = torch.stack(list(cams)) if not isinstance(cams, Tensor) else cams
    if stacked.dim() != 4:
        raise ValueError(f"fuse_cams expects L CAMs [C, S, S], got shape {tuple(stacked.shape)}")
    if rule == "mean":
        return stacked.mean(0)
    if rule == "max":
        return stacked.amax(0)
    raise ValueError(f"rule must be one of {FUSE_RULES}, got {rule!r}")


def box_pixel_range(boxes: Tensor, image_size: tuple[int, int]) -> Tensor:
    """Pixel rows and columns covered by each box: ``[N, 4]`` long ``(c0, r0, c1, r1)``, half-open.

    A pixel belongs to a box when it overlaps it (``floor(x1) <= col < ceil(x2)``), clipped to the image; every
    box keeps at least one pixel.
    """
    h, w = image_size
    x0 = boxes[:, 0].floor().long().clamp(0, w - 1)
    y0 = boxes[:, 1].floor().long().clamp(0, h - 1)
    x1 = torch.maximum(boxes[:, 2].ceil().long().clamp(max=w), x0 + 1)
    y1 = torch.maximum(boxes[:, 3].ceil().long().clamp(max=h), y0 + 1)
    return torch.stack([x0, y0, x1, y1], dim=1)


def box_masks(cam: Tensor, boxes: Tensor, labels: Tensor, image_size: tuple[int, int],
              threshold: float = 0.2, mode: str = "bilinear") -> Tensor:
    """Instance masks of detections from a fused CAM.

    For detection i of class ``labels[i]``: that class's CAM is upsampled to the image (``mode``, bilinear and
    ``align_corners=False`` by default), cut to the box's pixels (:func:`box_pixel_range`), clamped at 0 and
    divided by its maximum inside the box; the mask is where this is ``>= threshold`` (and the CAM > 0).
    Outside the box the mask is False; a box whose CAM is nowhere positive gets an empty mask.

    Args:
        cam: fused CAM ``[C, S, S]``.
        boxes: ``[N, 4]`` ``(x1, y1, x2, y2)`` in image pixels.
        labels: ``[N]`` long class indices in ``0..C-1`` (no background).
        image_size: ``(H, W)`` of the image the boxes live in.
        threshold: fraction of the in-box maximum (0.2 by default, Zhou et al.'s rule).
        mode: upsampling mode for ``F.interpolate``.
    Returns:
        Bool masks ``[N, H, W]``.
    """
    h, w = image_size
    n = boxes.shape[0]
    masks = torch.zeros((n, h, w), dtype=torch.bool, device=cam.device)
    if n == 0:
        return masks
    labels = labels.long()
    classes, inverse = labels.unique(return_inverse=True)
    kwargs = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
    up = F.interpolate(cam[classes].unsqueeze(0).float(), size=(h, w), mode=mode, **kwargs)[0]  # [C', H, W]
    for i, (x0, y0, x1, y1) in enumerate(box_pixel_range(boxes, image_size).tolist()):
        region = up[inverse[i], y0:y1, x0:x1].clamp(min=0)
        peak = region.max()
        if peak > 0:
            masks[i, y0:y1, x0:x1] = (region / peak >= threshold) & (region > 0)
    return masks


__all__ = [
    "LEVEL_ORDER", "LEVEL_RESIZE", "RESNET50_CHANNELS", "resize_to_grid", "CAMLevel", "MultiLevelCAM",
    "cam_loss", "fuse_cams", "box_pixel_range", "box_masks",
]
