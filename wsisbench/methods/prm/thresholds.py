"""Which class maps and which peaks give instances.

- ``fixed``: the reference implementation's constants: a class is valid when its peak-stimulated score
  (logit) is at least ``class_threshold`` (0, i.e. probability 0.5) and a peak when its CRM value exceeds
  ``peak_threshold`` (30 in the reference demo, in the CRM units of its ResNet-50 at 448 px).
- ``adaptive`` (the PRM + Residual Attention report): a class is valid when its score is above the third
  quartile of the class-score population, a peak when its value is above the mean of the peak values of
  its map. ``population`` chooses the quartile's population: ``'image'`` (the K class scores of the image
  itself; a quarter of the classes always passes) or ``'split'`` (every (image, class) score of the
  evaluated split, computed in a first pass).
"""
from __future__ import annotations

import numpy as np

from wsisbench.errors import WsisbenchError

MODES = ("fixed", "adaptive")
POPULATIONS = ("image", "split")


def third_quartile(values: np.ndarray) -> float:
    """The 0.75 quantile with linear interpolation (numpy's default): the class threshold."""
    return float(np.quantile(np.asarray(values, dtype=np.float64), 0.75))


def class_threshold(cfg, image_scores: np.ndarray, split_q3: float | None = None) -> float:
    """Threshold on the class scores [K] of one image (valid: ``score >= threshold``, adaptive: ``>``)."""
    mode = cfg.get("mode", "adaptive")
    if mode == "fixed":
        return float(cfg.get("class_threshold", 0.0))
    if mode != "adaptive":
        raise WsisbenchError(f"thresholds.mode must be one of {MODES}, got {mode!r}")
    population = cfg.get("population", "image")
    if population == "image":
        return third_quartile(image_scores)
    if population == "split":
        if split_q3 is None:
            raise WsisbenchError("thresholds.population='split' needs the split's class scores")
        return float(split_q3)
    raise WsisbenchError(f"thresholds.population must be one of {POPULATIONS}, got {population!r}")


def valid_classes(cfg, image_scores: np.ndarray, split_q3: float | None = None) -> np.ndarray:
    """int64 indices of the valid classes of an image, best score first."""
    thr = class_threshold(cfg, image_scores, split_q3)
    fixed = cfg.get("mode", "adaptive") == "fixed"
    keep = image_scores >= thr if fixed else image_scores > thr
    idx = np.flatnonzero(keep)
    return idx[np.argsort(-image_scores[idx], kind="stable")]


def valid_peaks(cfg, peak_values: np.ndarray) -> np.ndarray:
    """bool [P]: which peaks of one class map are valid (fixed: ``> peak_threshold``; adaptive: ``>= mean``,
    so a single peak is always valid)."""
    values = np.asarray(peak_values, dtype=np.float64)
    if values.size == 0:
        return np.zeros(0, dtype=bool)
    if cfg.get("mode", "adaptive") == "fixed":
        return values > float(cfg.get("peak_threshold", 30.0))
    return values >= values.mean()
