"""'Faster R-CNN tested w/ GrabCut' (Mask^X R-CNN's Table 3.5): registers the method ``grabcut_boxes``."""
from .method import GrabCutBoxes

__all__ = ["GrabCutBoxes"]
