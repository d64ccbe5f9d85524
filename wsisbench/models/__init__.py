"""Registered network parts that several methods share (``wsisbench.registry.MODELS``); importing registers them.

Method-only parts live in their method's folder (``wsisbench/methods/<name>/``).
"""
from . import backbones, classifiers, detectors, dsrg, segmentors  # noqa: F401
