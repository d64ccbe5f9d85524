"""FickleNet (Lee et al., CVPR 2019, arXiv:1902.10421): classifier with stochastic hidden-unit selection,
localization maps from N stochastic passes, DSRG segmenter. See README.md in this folder.

Importing this package registers the method ``fickle_net`` (:class:`FickleNet`), the models
``FickleNetHead``, ``NaiveFickleNetHead``, ``FickleNetClassifier`` and ``FickleNetImageClassifier``, the
dataset ``SeedSegDataset`` and the transforms of the segmenter's data (``segmenter_data.py``).
"""
from wsisbench.models import segmentors  # noqa: F401  (the DeepLab segmenters the presets name)

from . import classifier, head, segmenter_data  # noqa: F401  (registers the models, dataset, transforms)
from .method import FickleNet

__all__ = ["FickleNet"]
