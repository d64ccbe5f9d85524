"""CAM baseline: GAP classifier on image labels -> class activation maps -> background threshold.
Importing this package registers the method ``cam_baseline``."""
from .method import CAMBaseline

__all__ = ["CAMBaseline"]
