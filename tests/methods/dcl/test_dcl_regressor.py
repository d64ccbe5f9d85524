"""DCL's class-agnostic box regressor: Eq. (4) targets, decoding and loss."""
from __future__ import annotations

import math

import pytest
import torch

from wsisbench.methods.dcl.regressor import (
    BoxRegressor,
    apply_deltas,
    nearest_pseudo_gt,
    regression_loss,
    regression_targets,
)

PROPOSALS = torch.tensor([
    [2.0, 3.0, 12.0, 9.0],
    [20.0, 22.0, 30.0, 40.0],
    [21.0, 20.0, 27.0, 35.0],
])
PSEUDO_GT = torch.tensor([
    [1.0, 2.0, 13.0, 11.0],
    [19.0, 21.0, 32.0, 38.0],
])


def _eq4(p, g):
    """Eq. (4) with centre (x1 + x2) / 2 and width x2 - x1."""
    px, py, pw, ph = (p[0] + p[2]) / 2, (p[1] + p[3]) / 2, p[2] - p[0], p[3] - p[1]
    gx, gy, gw, gh = (g[0] + g[2]) / 2, (g[1] + g[3]) / 2, g[2] - g[0], g[3] - g[1]
    return [(gx - px) / pw, (gy - py) / ph, math.log(gw / pw), math.log(gh / ph)]


def test_nearest_pseudo_gt_is_the_highest_iou():
    assert nearest_pseudo_gt(PROPOSALS, PSEUDO_GT).tolist() == [0, 1, 1]


def test_targets_are_eq4():
    targets = regression_targets(PROPOSALS, PSEUDO_GT)
    expected = torch.tensor([_eq4(p.tolist(), PSEUDO_GT[i].tolist()) for p, i in zip(PROPOSALS, [0, 1, 1])])
    torch.testing.assert_close(targets, expected, atol=1e-6, rtol=1e-5)
    # a worked value: proposal 0 (centre (7, 6), 10 x 6) to box 0 (centre (7, 6.5), 12 x 9)
    assert targets[0].tolist() == pytest.approx([0.0, 0.5 / 6, math.log(1.2), math.log(1.5)], abs=1e-6)


def test_apply_deltas_inverts_the_targets():
    targets = regression_targets(PROPOSALS, PSEUDO_GT)
    boxes = apply_deltas(PROPOSALS, targets)
    torch.testing.assert_close(boxes, PSEUDO_GT[[0, 1, 1]], atol=1e-5, rtol=0)


def test_output_shapes_by_mode():
    feats = torch.randn(5, 16)
    assert BoxRegressor(16, 3, mode="agnostic", hidden_channels=8)(feats).shape == (5, 4)
    assert BoxRegressor(16, 3, mode="specific", hidden_channels=8)(feats).shape == (5, 12)
    assert BoxRegressor(16 * 2 * 2, 3, hidden_channels=8)(torch.randn(5, 16, 2, 2)).shape == (5, 4)
    with pytest.raises(ValueError):
        BoxRegressor(16, 3, mode="none")


def test_loss_counts_foreground_only():
    targets = regression_targets(PROPOSALS, PSEUDO_GT)
    weights = torch.tensor([1.0, 1.0, 0.0])
    pred = targets.clone()
    assert regression_loss(pred, targets, weights).item() == 0.0
    pred[2] += 5.0  # background proposal: ignored
    assert regression_loss(pred, targets, weights).item() == 0.0
    pred[0, 0] += 0.5  # smooth L1 quadratic part: 0.5 * 0.5^2, over 2 foreground proposals
    assert regression_loss(pred, targets, weights).item() == pytest.approx(0.125 / 2, rel=1e-5)
    pred[1, 3] += 3.0  # linear part: 3 - 0.5
    assert regression_loss(pred, targets, weights).item() == pytest.approx((0.125 + 2.5) / 2, rel=1e-5)


def test_specific_loss_picks_the_label_columns():
    targets = regression_targets(PROPOSALS, PSEUDO_GT)
    labels = torch.tensor([2, 1, 0])
    pred = torch.full((3, 8), 9.0)  # C = 2
    pred[0, 4:8] = targets[0]
    pred[1, 0:4] = targets[1]
    assert regression_loss(pred, targets, torch.tensor([1.0, 1.0, 0.0]), labels=labels).item() == 0.0
    with pytest.raises(ValueError):
        regression_loss(pred, targets, torch.ones(3))
