"""Segmentation networks for the second stage of weakly supervised methods (DeepLab family).

Importing this package registers ``DeepLabSegmentor``, ``DeepLabVGG16``, ``LargeFOVHead`` and ``ASPPHead``
in :data:`wsisbench.registry.MODELS`. Model configs:

- embedded preset: ``SmallConvNet`` backbone + ``LargeFOVHead`` (small dilation) -> 16 x 16 logits at 128 px;
- DeepLab-LargeFOV (VGG-16): ``DeepLabVGG16`` + ``LargeFOVHead(channels=1024, dilation=12)``;
- DeepLab-v2 (ResNet-101): mmdet's ``ResNet`` (depth 101, strides (1, 2, 1, 1), dilations (1, 1, 2, 4))
  + ``ASPPHead(dilations=(6, 12, 18, 24))``.

Paper presets take a user-supplied ImageNet checkpoint (:func:`load_imagenet_checkpoint`).
"""
from .aspp_head import ASPPHead
from .checkpoint import check_checkpoint_path, load_imagenet_checkpoint
from .deeplab_segmentor import DeepLabSegmentor, unbatch_samples
from .largefov_head import LargeFOVHead
from .vgg16_largefov import VGG16_BLOCKS, DeepLabVGG16

__all__ = ["ASPPHead", "DeepLabSegmentor", "DeepLabVGG16", "LargeFOVHead", "VGG16_BLOCKS",
           "check_checkpoint_path", "load_imagenet_checkpoint", "unbatch_samples"]
