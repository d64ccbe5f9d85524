"""Mask^X R-CNN (Hu et al., 'Learning to Segment Every Thing'): partially supervised instance segmentation.

Registered in ``wsisbench.registry.MODELS``:

- :class:`TransferMaskHead` -- mask weights w_seg = T(w_det) from the box head (+ optional MLP branch)
- :class:`AgnosticMaskHead` -- the class-agnostic FCN baseline (+ optional MLP branch)
- :class:`PartialMaskRoIHead` -- box losses on A and B, mask loss on A only; passes w_det to the mask head
- :class:`PartialMaskRCNN` -- Mask R-CNN with the stage-wise 'train the mask head only' mode
- :class:`EfficientNetLite0Pyramid` -- multi-level pretrained backbone of the CPU presets

Building blocks: :class:`WeightTransferFunction` (T), :class:`TransferInput` ('cls', 'box', 'cls+box',
'randn', 'embedding'), :class:`MLPMaskBranch`, :func:`load_class_embeddings` (GloVe-style files).
"""
from .agnostic_mask_head import AgnosticMaskHead
from .efficientnet_pyramid import EfficientNetLite0Pyramid
from .mlp_mask_branch import MLPMaskBranch, fuse_mask_scores
from .partial_mask_rcnn import PartialMaskRCNN
from .partial_roi_head import MaskSamples, PartialMaskRoIHead
from .transfer_input import KINDS as TRANSFER_INPUT_KINDS
from .transfer_input import TransferInput, detection_weights
from .transfer_mask_head import TransferMaskHead
from .weight_transfer import WeightTransferFunction
from .word_embeddings import load_class_embeddings

__all__ = [
    "AgnosticMaskHead", "EfficientNetLite0Pyramid", "MLPMaskBranch", "fuse_mask_scores", "PartialMaskRCNN",
    "MaskSamples", "PartialMaskRoIHead", "TRANSFER_INPUT_KINDS", "TransferInput", "detection_weights",
    "TransferMaskHead", "WeightTransferFunction", "load_class_embeddings",
]
