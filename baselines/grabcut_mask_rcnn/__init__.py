"""'Mask R-CNN trained w/ GrabCut' (Mask^X R-CNN's Table 3.5): registers the method ``grabcut_mask_rcnn``."""
from .method import GrabCutMaskRCNN

__all__ = ["GrabCutMaskRCNN"]
