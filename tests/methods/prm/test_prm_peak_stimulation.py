"""Peak stimulation: peaks, class scores, and a gradient that reaches the network only at valid peaks."""
from __future__ import annotations

import numpy as np
import torch

from wsisbench.methods.prm.peak_stimulation import local_maxima, multilabel_soft_margin, peak_stimulation


def test_local_maxima_in_a_3x3_window():
    crm = torch.zeros(1, 1, 5, 5)
    crm[0, 0, 1, 1] = 3.0
    crm[0, 0, 3, 3] = 2.0
    crm[0, 0, 1, 2] = 1.0  # next to the first peak: not a maximum of its window
    crm[0, 0, 0, 4] = -1.0  # the map's other values are 0: the zero plateau far from peaks counts
    peaks = local_maxima(crm, 3)[0, 0]
    assert peaks[1, 1] and peaks[3, 3] and not peaks[1, 2]


def test_gradient_is_nonzero_only_at_valid_peaks():
    gen = torch.Generator().manual_seed(0)
    crms = torch.randn(2, 3, 8, 8, generator=gen, requires_grad=True)
    scores, valid = peak_stimulation(crms, win=3, filter="median")
    target = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    multilabel_soft_margin(scores, target).backward()
    grad = crms.grad
    assert valid.any()
    assert torch.all(grad[~valid] == 0)
    assert torch.all(grad[valid] != 0)
    # each score is the mean over its valid peaks, which are local maxima above the map's median
    for b in range(2):
        for k in range(3):
            m = crms[b, k].detach()
            sel = valid[b, k]
            assert torch.all(m[sel] >= m.flatten().median())
            assert torch.isclose(scores[b, k], m[sel].mean())
            count = int(sel.sum())
            assert np.allclose(grad[b, k][sel].abs().numpy(), grad[b, k][sel].abs().numpy()[0])
            assert count >= 1


def test_peak_filter_on_a_plateau():
    crm = torch.full((1, 1, 4, 4), -1.0)
    crm[0, 0, 2, 1] = 5.0
    # the -1 cells away from the peak are maxima of their windows; the median (-1) keeps them, the mean drops them
    scores, valid = peak_stimulation(crm, filter="mean")
    assert int(valid.sum()) == 1 and scores.item() == 5.0
    scores, valid = peak_stimulation(crm, filter="median")
    n = int(valid.sum())
    assert n > 1 and np.isclose(scores.item(), (5.0 - (n - 1)) / n)
