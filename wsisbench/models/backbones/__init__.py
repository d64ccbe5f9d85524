"""Backbones registered in ``wsisbench.registry.MODELS`` (mmdet's ResNet/VGG are reachable too)."""
from .efficientnet_lite import EfficientNetLite0
from .small_convnet import SmallConvNet

__all__ = ["EfficientNetLite0", "SmallConvNet"]
