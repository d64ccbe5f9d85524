"""Backbones registered in ``wsisbench.registry.MODELS`` (mmdet's ResNet/VGG are reachable too)."""
from .efficientnet_lite import EfficientNetLite0
from .efficientnet_pyramid import EfficientNetLite0Pyramid
from .small_convnet import SmallConvNet

__all__ = ["EfficientNetLite0", "EfficientNetLite0Pyramid", "SmallConvNet"]
