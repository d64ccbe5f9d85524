"""FickleNet (Lee et al., CVPR 2019): stochastic hidden-unit selection and its localization maps.

Importing this package registers ``FickleNetHead``, ``NaiveFickleNetHead`` and ``FickleNetClassifier``
in :data:`wsisbench.registry.MODELS`.
"""
from .aggregation import aggregate_maps
from .center_fixed_dropout import CenterFixedSpatialDropout, center_fixed_dropout_mask
from .classification_loss import multilabel_sigmoid_loss
from .classifier import FickleNetClassifier
from .expansion import block_view, expand_feature_map, pad_for_windows
from .grad_cam import class_grad_cams, grad_cam
from .head import GENERAL_MODES, SELECTIONS, FickleNetHead, general_dropout_mask
from .localization import FickleMaps, fickle_localization_maps, normalize_maps
from .naive_head import NaiveFickleNetHead, naive_fickle_scores

__all__ = [
    "SELECTIONS", "CenterFixedSpatialDropout", "FickleMaps", "FickleNetClassifier", "FickleNetHead",
    "GENERAL_MODES", "NaiveFickleNetHead", "aggregate_maps", "block_view", "center_fixed_dropout_mask", "class_grad_cams",
    "expand_feature_map", "fickle_localization_maps", "general_dropout_mask", "grad_cam",
    "multilabel_sigmoid_loss", "naive_fickle_scores", "normalize_maps", "pad_for_windows",
]
