"""Fully connected CRF (Kraehenbuehl & Koltun) refinement of a softmax map, via ``pydensecrf``.

Defaults are the settings SEC/DSRG use on their 41x41 score maps (image resized to the map): Gaussian
kernel (sxy 3 / scale, compat 3) and bilateral kernel (sxy 80 / scale, srgb 13, compat 10), 10 mean-field
iterations, ``scale_factor`` 12. The result is a constant (numpy, no gradient).
"""
from __future__ import annotations

import numpy as np

MIN_PROB = 1e-4


def dense_crf(probs: np.ndarray, image: np.ndarray, *, iterations: int = 10, scale_factor: float = 12.0,
              gaussian_sxy: float = 3.0, gaussian_compat: float = 3.0, bilateral_sxy: float = 80.0,
              bilateral_srgb: float = 13.0, bilateral_compat: float = 10.0,
              min_prob: float = MIN_PROB) -> np.ndarray:
    """probs [C, H, W] (sums to 1 over C), image [H, W, 3] uint8 RGB -> refined probs [C, H, W] float32.

    Unary = -log(probs) (``unary_from_softmax``); sxy values are divided by ``scale_factor``. The output is
    clamped at ``min_prob`` and renormalised, so it is a strictly positive distribution per pixel.
    """
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_softmax

    probs = np.asarray(probs, dtype=np.float32)
    c, h, w = probs.shape
    if image.shape != (h, w, 3):
        raise ValueError(f"image {image.shape} must be [H, W, 3] with the probs' size {(h, w)}")
    probs = np.maximum(probs, min_prob)
    probs = probs / probs.sum(axis=0, keepdims=True)
    crf = dcrf.DenseCRF2D(w, h, c)
    crf.setUnaryEnergy(np.ascontiguousarray(unary_from_softmax(probs)))
    crf.addPairwiseGaussian(sxy=gaussian_sxy / scale_factor, compat=gaussian_compat)
    crf.addPairwiseBilateral(sxy=bilateral_sxy / scale_factor, srgb=bilateral_srgb,
                             rgbim=np.ascontiguousarray(image, dtype=np.uint8), compat=bilateral_compat)
    q = np.asarray(crf.inference(iterations), dtype=np.float32).reshape(c, h, w)
    q = np.maximum(q, min_prob)
    return q / q.sum(axis=0, keepdims=True)
