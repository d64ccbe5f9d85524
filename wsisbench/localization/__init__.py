"""Masks from weak cues that several methods share: class activation maps (CAMs) and GrabCut in a box."""
from .cam import image_cams, label_map_from_cams, normalize_maps
from .grabcut import box_mask, grabcut_boxes, grabcut_in_box

__all__ = ["box_mask", "grabcut_boxes", "grabcut_in_box", "image_cams", "label_map_from_cams", "normalize_maps"]
