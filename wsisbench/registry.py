"""wsisbench's registries.

Model parts, datasets, transforms and metrics are registered in child registries of MMDetection's, so a
config with ``default_scope='wsisbench'`` can name both our classes (``type='GAPClassifier'``) and every
mmdet/mmengine class (``type='mmdet.MaskRCNN'``, or plain names found in the parent).

``METHODS`` holds method pipelines (one per paper or baseline); each is a :class:`wsisbench.pipeline.Method`.
"""
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmengine.registry import Registry

MODELS = Registry("model", parent=MMDET_MODELS, scope="wsisbench", locations=["wsisbench.models"])
DATASETS = Registry("dataset", parent=MMDET_DATASETS, scope="wsisbench", locations=["wsisbench.datasets"])
TRANSFORMS = Registry("transform", parent=MMDET_TRANSFORMS, scope="wsisbench",
                      locations=["wsisbench.datasets", "wsisbench.transforms"])
METRICS = Registry("metric", parent=MMDET_METRICS, scope="wsisbench", locations=["wsisbench.evaluation"])
HOOKS = Registry("hook", parent=MMDET_HOOKS, scope="wsisbench", locations=["wsisbench.pipeline"])
LOOPS = Registry("loop", parent=MMDET_LOOPS, scope="wsisbench", locations=["wsisbench.pipeline"])
METHODS = Registry("method", scope="wsisbench", locations=["wsisbench.methods", "baselines"])
