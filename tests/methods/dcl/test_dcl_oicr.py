"""OICR heads (MIDN, pseudo labels, refinement streams) of the DCL detector."""
from __future__ import annotations

import math

import pytest
import torch

from wsisbench.methods.dcl.oicr import (
    MIDNHead,
    RefinementHead,
    midn_loss,
    oicr_pseudo_labels,
    oicr_test_scores,
    refinement_loss,
    refinement_losses,
)


def test_midn_scores_are_the_product_of_the_two_softmaxes():
    torch.manual_seed(0)
    head = MIDNHead(in_channels=8, num_classes=3)
    feats = torch.randn(5, 8)
    out = head(feats)
    sigma_cls = torch.softmax(feats @ head.cls_fc.weight.T + head.cls_fc.bias, dim=1)
    sigma_det = torch.softmax(feats @ head.det_fc.weight.T + head.det_fc.bias, dim=0)
    torch.testing.assert_close(out.proposal_scores, sigma_cls * sigma_det)
    torch.testing.assert_close(out.det_softmax.sum(0), torch.ones(3))
    torch.testing.assert_close(out.cls_softmax.sum(1), torch.ones(5))
    torch.testing.assert_close(out.image_scores, (sigma_cls * sigma_det).sum(0))
    assert out.proposal_scores.shape == (5, 3) and out.image_scores.shape == (3,)


def test_midn_loss_is_the_image_level_bce_summed_over_classes():
    phi = torch.tensor([0.8, 0.1, 0.3])
    y = torch.tensor([1.0, 0.0, 1.0])
    expected = -(math.log(0.8) + math.log(0.9) + math.log(0.3))
    assert midn_loss(phi, y).item() == pytest.approx(expected, rel=1e-5)
    assert midn_loss(phi, y, reduction="mean").item() == pytest.approx(expected / 3, rel=1e-5)
    # saturated scores stay finite
    assert torch.isfinite(midn_loss(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0])))


def _case():
    boxes = torch.tensor([
        [0.0, 0.0, 10.0, 10.0],  # 0: seed of class 0
        [0.0, 0.0, 10.0, 5.2],  # 1: IoU 0.52 with seed 0
        [0.0, 0.0, 10.0, 4.8],  # 2: IoU 0.48 with seed 0
        [50.0, 50.0, 60.0, 60.0],  # 3: seed of class 2
        [50.0, 50.0, 60.0, 55.2],  # 4: IoU 0.52 with seed 3
        [100.0, 100.0, 110.0, 110.0],  # 5: overlaps no seed
        [200.0, 200.0, 210.0, 210.0],  # 6: top score of class 1, which is absent
    ])
    scores = torch.full((7, 3), 0.01)
    scores[0, 0] = 0.9
    scores[1, 0] = 0.5
    scores[3, 2] = 0.7
    scores[4, 2] = 0.6
    scores[6, 1] = 0.99
    image_labels = torch.tensor([1, 0, 1])
    return boxes, scores, image_labels


def test_pseudo_labels_thresholds_and_weights():
    boxes, scores, image_labels = _case()
    labels, weights = oicr_pseudo_labels(boxes, scores, image_labels)
    assert labels.dtype == torch.long
    assert labels.tolist() == [1, 1, 0, 3, 3, 0, 0]
    # every proposal, background too, gets the score of its highest-IoU seed; no overlap: first seed
    torch.testing.assert_close(weights, torch.tensor([0.9, 0.9, 0.9, 0.7, 0.7, 0.9, 0.9]))


def test_absent_class_never_seeds():
    boxes, scores, image_labels = _case()
    labels, _ = oicr_pseudo_labels(boxes, scores, image_labels)
    assert 2 not in labels.tolist()
    assert labels[6] == 0
    # with class 1 present, box 6 becomes its seed
    labels, weights = oicr_pseudo_labels(boxes, scores, torch.tensor([1, 1, 1]))
    assert labels[6] == 2 and weights[6].item() == pytest.approx(0.99)
    # no class at all: everything background with zero weight
    labels, weights = oicr_pseudo_labels(boxes, scores, torch.tensor([0, 0, 0]))
    assert labels.eq(0).all() and weights.eq(0).all()


def test_threshold_is_strict():
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 5.0]])  # IoU exactly 0.5
    scores = torch.tensor([[0.9], [0.1]])
    labels, _ = oicr_pseudo_labels(boxes, scores, torch.tensor([1]))
    assert labels.tolist() == [1, 0]


def test_proposal_takes_the_seed_it_overlaps_most():
    boxes = torch.tensor([
        [0.0, 0.0, 10.0, 10.0],  # seed of class 0
        [4.0, 0.0, 14.0, 10.0],  # seed of class 1
        [3.0, 0.0, 13.0, 10.0],  # IoU 0.54 with seed 0, 0.82 with seed 1
    ])
    scores = torch.tensor([[0.8, 0.2], [0.1, 0.6], [0.3, 0.3]])
    labels, weights = oicr_pseudo_labels(boxes, scores, torch.tensor([1, 1]))
    assert labels.tolist() == [1, 2, 2]
    torch.testing.assert_close(weights, torch.tensor([0.8, 0.6, 0.6]))


def test_refinement_loss_is_the_weighted_cross_entropy():
    scores = torch.tensor([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    labels = torch.tensor([1, 0, 2])
    weights = torch.tensor([0.9, 0.5, 0.7])
    expected = -(0.9 * math.log(0.7) + 0.5 * math.log(0.6) + 0.7 * math.log(0.7)) / 3
    assert refinement_loss(scores, labels, weights).item() == pytest.approx(expected, rel=1e-5)


def test_refinement_streams_and_test_scores():
    torch.manual_seed(0)
    head = RefinementHead(in_channels=6, num_classes=2, num_streams=3)
    feats = torch.randn(4, 6)
    refined = head(feats)
    assert len(refined) == 3
    for s in refined:
        assert s.shape == (4, 3)
        torch.testing.assert_close(s.sum(1), torch.ones(4))
    expected = (refined[0][:, 1:] + refined[1][:, 1:] + refined[2][:, 1:]) / 3
    torch.testing.assert_close(oicr_test_scores(refined), expected)


def test_refinement_losses_chain_the_streams():
    boxes, z, image_labels = _case()
    torch.manual_seed(0)
    refined = [torch.softmax(torch.randn(7, 4), dim=1) for _ in range(3)]
    losses = refinement_losses(boxes, z, refined, image_labels)
    supervisors = [z, refined[0][:, 1:], refined[1][:, 1:]]
    for loss, scores, sup in zip(losses, refined, supervisors):
        labels, weights = oicr_pseudo_labels(boxes, sup, image_labels)
        torch.testing.assert_close(loss, refinement_loss(scores, labels, weights))
