"""Detectors shared by partially supervised instance segmentation methods; importing registers them."""
from .partial_mask_rcnn import MaskSamples, PartialMaskRCNN, PartialMaskRoIHead, detection_weights

__all__ = ["MaskSamples", "PartialMaskRCNN", "PartialMaskRoIHead", "detection_weights"]
