"""Image-level classifiers trained on image labels."""
from .gap_classifier import GAPClassifier

__all__ = ["GAPClassifier"]
