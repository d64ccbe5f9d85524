"""CAM baseline: GAP classifier on image labels -> class activation maps -> background threshold."""
from .method import CAMBaseline

__all__ = ["CAMBaseline"]
