"""GrabCut baselines of Mask^X R-CNN: ``grabcut_boxes`` (Faster R-CNN + GrabCut at test time) and
``grabcut_mask_rcnn`` (Mask R-CNN trained on GrabCut masks of the ground-truth boxes)."""
from .grabcut import box_mask, grabcut_boxes, grabcut_in_box
from .method import GrabCutBoxes, GrabCutMaskRCNN

__all__ = ["box_mask", "grabcut_boxes", "grabcut_in_box", "GrabCutBoxes", "GrabCutMaskRCNN"]
