"""Data-pipeline transforms of wsisbench (registered in ``wsisbench.registry.TRANSFORMS``)."""
from .pack_cls_inputs import PackClsInputs

__all__ = ["PackClsInputs"]
