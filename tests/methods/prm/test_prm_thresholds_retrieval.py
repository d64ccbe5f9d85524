"""Adaptive and fixed thresholds; proposal retrieval and NMS."""
from __future__ import annotations

import numpy as np
from mmengine.config import ConfigDict

from wsisbench.methods.prm.retrieval import Instance, nms, retrieval_values, retrieve
from wsisbench.methods.prm.thresholds import class_threshold, valid_classes, valid_peaks

SCORES = np.array([-3.0, 0.5, 2.0, -1.0, 4.0, 0.0, 1.0, -2.0])


def test_adaptive_class_threshold_is_the_third_quartile():
    cfg = ConfigDict(mode="adaptive", population="image")
    assert class_threshold(cfg, SCORES) == np.quantile(SCORES, 0.75)
    assert list(valid_classes(cfg, SCORES)) == [4, 2]  # strictly above Q3 = 1.25, best first
    split = ConfigDict(mode="adaptive", population="split")
    assert list(valid_classes(split, SCORES, split_q3=0.25)) == [4, 2, 6, 1]


def test_adaptive_peak_threshold_is_the_mean():
    values = np.array([1.0, 7.0, 3.0, 5.0])
    cfg = ConfigDict(mode="adaptive")
    assert values.mean() == 4.0
    assert list(valid_peaks(cfg, values)) == [False, True, False, True]
    assert list(valid_peaks(cfg, np.array([2.0]))) == [True]


def test_fixed_thresholds_are_the_reference_values():
    cfg = ConfigDict(mode="fixed", class_threshold=0.0, peak_threshold=30.0)
    assert list(valid_classes(cfg, SCORES)) == [4, 2, 6, 1, 5]  # score >= 0
    assert list(valid_peaks(cfg, np.array([10.0, 30.0, 31.0]))) == [False, False, True]


def _square(h, w, y0, y1, x0, x1):
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_retrieval_picks_the_proposal_that_matches_the_prm():
    h = w = 32
    target = _square(h, w, 4, 14, 4, 14)
    proposals = np.stack([_square(h, w, 0, 32, 0, 32), _square(h, w, 6, 10, 6, 10), target,
                          _square(h, w, 18, 30, 18, 30)])
    prm = np.zeros((h, w))
    prm[target] = 1.0
    prm[4:14, 4] += 3.0  # mass on the object's border: the boundary term favours the exact mask
    prm /= prm.sum()
    crm = np.zeros((1, h, w))
    crm[0][target] = 5.0  # class-aware: background is where the CRM is below 0.95 x its mean
    values = retrieval_values(prm[None], np.array([0]), proposals, crm, size_limits=(0.0, 0.85))
    assert values[0, 0] == -np.inf  # the whole image is above the size limit
    assert int(np.argmax(values[0])) == 2
    found = retrieve(prm[None], np.array([0]), np.array([0.9]), proposals, crm,
                     ConfigDict(size_limits=(0.0, 0.85), nms_iou=0.3))
    assert [(i.label, i.proposal) for i in found] == [(0, 2)]


def test_background_penalty_does_not_depend_on_the_image_size():
    """The same scene at 32 and at 128 px: every retrieval value is the same, because the PRM terms are
    normalised and beta is scaled to the reference input's area; without the scaling the penalty shrinks."""
    def scene(k):
        h = w = 32 * k
        proposals = np.stack([_square(h, w, 4 * k, 14 * k, 4 * k, 14 * k), _square(h, w, 0, 24 * k, 0, 24 * k)])
        prm = np.zeros((h, w))
        prm[4 * k:14 * k, 4 * k:14 * k] = 1.0
        prm /= prm.sum()
        crm = np.zeros((1, h, w))
        crm[0][proposals[0]] = 5.0
        return prm[None], proposals, crm

    kw = dict(beta=1e-3, contour_width=1, size_limits=(0.0, 0.9))
    small = retrieval_values(*_with_labels(scene(1)), **kw)
    large = retrieval_values(*_with_labels(scene(4)), **kw)
    np.testing.assert_allclose(small[0, 1], large[0, 1], rtol=0, atol=1e-9)  # the big proposal: no contour mass
    raw_small = retrieval_values(*_with_labels(scene(1)), beta_reference_side=None, **kw)
    raw_large = retrieval_values(*_with_labels(scene(4)), beta_reference_side=None, **kw)
    assert raw_large[0, 1] < raw_small[0, 1]  # per px: 16 x the background px, 16 x the penalty


def _with_labels(parts):
    prm, proposals, crm = parts
    return prm, np.array([0]), proposals, crm


def test_nms_drops_duplicates_and_keeps_apart_instances():
    h = w = 16
    props = np.stack([_square(h, w, 0, 8, 0, 8), _square(h, w, 0, 8, 1, 8), _square(h, w, 9, 16, 9, 16)])
    inst = [Instance(0, 0, 1.0, 0.9, 0), Instance(1, 1, 1.0, 0.8, 1), Instance(0, 2, 1.0, 0.7, 2)]
    assert [i.proposal for i in nms(inst, props, 0.3, class_agnostic=True)] == [0, 2]
    assert [i.proposal for i in nms(inst, props, 0.3, class_agnostic=False)] == [0, 1, 2]
