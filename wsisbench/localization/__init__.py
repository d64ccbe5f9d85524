"""Localization maps (CAMs) and their conversion to label maps."""
from .cam import image_cams, label_map_from_cams, normalize_maps

__all__ = ["image_cams", "label_map_from_cams", "normalize_maps"]
