"""Mask^X R-CNN (partially supervised instance segmentation); importing registers ``maskx_rcnn``.

Reusable parts for related baselines: :mod:`.stages` (training, prediction, evaluation stages),
:mod:`.class_split`, :mod:`.data`, :mod:`.model_config`, :mod:`.prediction`, :mod:`.evaluation`.
"""
from . import stages  # noqa: F401
from .method import MaskXRCNN

__all__ = ["MaskXRCNN"]
