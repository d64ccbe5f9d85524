"""Mask^X R-CNN (Hu et al., CVPR 2018, arXiv:1711.10370): partially supervised instance segmentation with
weight transfer. See README.md in this folder.

Importing this package registers the method ``maskx_rcnn`` and the mask heads ``TransferMaskHead`` and
``AgnosticMaskHead``. The shared parts (partially supervised Mask R-CNN, class splits, data, prediction,
evaluation) are public: :mod:`wsisbench.detection` and :mod:`wsisbench.models.detectors`.
"""
from . import mlp_branch, transfer  # noqa: F401  (registers the mask heads)
from .method import MaskXRCNN

__all__ = ["MaskXRCNN"]
