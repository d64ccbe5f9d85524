"""Deep Community Learning (Hwang et al., "Weakly Supervised Instance Segmentation by Deep Community Learning",
WACV 2021, arXiv:2001.11207): an OICR detector, a class-agnostic box regressor and multi-level CAM masks on one
backbone. See README.md in this folder.

Importing this package registers the method ``dcl`` (:class:`DeepCommunityLearning`), the model
``DCLNetwork`` and the transforms ``LoadProposalBoxes`` and ``PackDCLInputs``.
"""
from . import data, model  # noqa: F401  (registers the model and the transforms)
from .method import DeepCommunityLearning

__all__ = ["DeepCommunityLearning"]
