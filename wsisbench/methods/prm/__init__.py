"""PRM (Zhou et al., "Weakly Supervised Instance Segmentation using Class Peak Response", CVPR 2018,
arXiv:1804.00880) with the Residual Attention variant and adaptive thresholds. See README.md in this folder.

Importing this package registers the method ``prm`` (:class:`PRM`) and the models ``PRMClassifier``,
``ResidualAttentionModule`` and ``ResidualAttentionBackbone``.
"""
from . import attention, classifier, data  # noqa: F401  (registers the models and the subset dataset)
from .method import PRM

__all__ = ["PRM"]
