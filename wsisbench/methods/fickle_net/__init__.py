"""FickleNet end to end (issue 6): classifier, stochastic localization maps, DSRG segmenter, evaluation.

Importing this package registers the method ``fickle_net`` (:class:`FickleNet`), the model
``FickleNetImageClassifier``, the dataset ``SeedSegDataset`` and the transforms ``LoadSeedMaps``,
``SegRandomFlip``, ``SegRandomResizeCrop`` and ``PackSeedSegInputs``; it also imports
:mod:`wsisbench.models.segmentors` (the DeepLab segmenters). See README.md in this folder.
"""
from wsisbench.models import segmentors  # noqa: F401  (registers the segmenters)

from . import classifier_model, load_seed_maps, pack_seed_seg_inputs, seed_dataset  # noqa: F401
from . import seg_random_flip, seg_random_resize_crop  # noqa: F401
from .fast_cams import map_statistics
from .method import STAGE_INPUTS, FickleNet

__all__ = ["FickleNet", "STAGE_INPUTS", "map_statistics"]
