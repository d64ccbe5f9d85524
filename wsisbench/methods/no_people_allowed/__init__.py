"""NoPeopleAllowed: The Three-Step Approach to Weakly Supervised Semantic Segmentation (Dobko, Viniavskiy,
Dobosevych; LID Challenge 2020 workshop at CVPR 2020, 3rd place; arXiv:2006.07601).

Step 1: a classifier trained on image labels without 'person' and balanced by downsampling, CAMs refined by a
dense CRF; Step 2: IRNet (Weakly Supervised Learning of Instance Segmentation with Inter-pixel Relations, Ahn,
Cho, Kwak, CVPR 2019, arXiv:1904.05044) with its class-boundary and displacement branches; Step 3: DeepLabv3+
trained on Step 2's masks, predicted with flip x scale test-time augmentation. Importing this package
registers the method ``no_people_allowed``, its VGG-16 backbone, IRNet, its augmentation transform and its
model selection hooks, and loads mmsegmentation's registries (DeepLabv3+ and its data pipeline).
"""
import mmseg.datasets.transforms  # noqa: F401  (mmseg's transforms: LoadAnnotations, RandomCrop, PackSegInputs)
import mmseg.models  # noqa: F401  (mmseg's EncoderDecoder, DepthwiseSeparableASPPHead, SegDataPreProcessor)

from . import augment, irnet, selection, vgg  # noqa: F401  (StrongAugment, IRNet, the selection hooks, VGG16Extra)
from .method import NoPeopleAllowed

__all__ = ["NoPeopleAllowed"]
