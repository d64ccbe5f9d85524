"""wsisbench: reference implementations, exact evaluators and reports for weakly and partially
supervised segmentation.

Public API (what methods in ``baselines/`` and third-party code use):

- :mod:`wsisbench.registry` -- ``MODELS``, ``DATASETS``, ``TRANSFORMS``, ``METRICS``, ``METHODS``
- :mod:`wsisbench.pipeline` -- ``Method``, ``Stage``, ``RunContext`` (stages, manifests, resume)
- :mod:`wsisbench.benchmarks` -- ``get_benchmark`` (embedded and real datasets)
- :mod:`wsisbench.evaluation` -- the common evaluator
"""
import os as _os

# albumentations (imported by mmdet's transforms) asks PyPI for a newer version at import: no network calls
_os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

__version__ = "0.1.0"
