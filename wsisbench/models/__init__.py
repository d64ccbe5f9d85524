"""Registered network parts (``wsisbench.registry.MODELS``); importing this package registers them."""
from . import backbones, classifiers, dsrg, ficklenet  # noqa: F401
